import { Migration } from '@mikro-orm/migrations';

/**
 * One email template per language: `org_settings.email_templates` holds an organisation's
 * own subject and body per template language (`{"fr": {"subject": …, "body": …}}`), in
 * place of the single `email_subject` and `email_body`, which every invite used whatever
 * its language. An existing template becomes the template of the org's default language
 * (`pt-BR` → `pt` → `en`, as the notifier picks its built-in wording), the language it was
 * most likely written in; invites in other languages now get their built-in email.
 */
export class Migration20261222000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table org_settings add column email_templates jsonb not null default '{}' check (jsonb_typeof(email_templates) = 'object')`);
    this.addSql(`
      update org_settings
         set email_templates = jsonb_build_object(
               case when default_locale in ('en', 'es', 'de', 'fr') then default_locale
                    when split_part(default_locale, '-', 1) in ('en', 'es', 'de', 'fr') then split_part(default_locale, '-', 1)
                    else 'en' end,
               jsonb_build_object('subject', email_subject, 'body', email_body))
       where email_subject is not null or email_body is not null`);
    this.addSql('alter table org_settings drop column email_subject, drop column email_body');
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table org_settings
        add column email_subject text check (char_length(email_subject) between 1 and 200),
        add column email_body text check (char_length(email_body) between 1 and 5000)`);
    this.addSql(`
      update org_settings s
         set email_subject = t.template ->> 'subject', email_body = t.template ->> 'body'
        from (select org_id,
                     email_templates -> (case when default_locale in ('en', 'es', 'de', 'fr') then default_locale
                                              when split_part(default_locale, '-', 1) in ('en', 'es', 'de', 'fr') then split_part(default_locale, '-', 1)
                                              else 'en' end) as template
                from org_settings) t
       where t.org_id = s.org_id and t.template is not null`);
    this.addSql('alter table org_settings drop column email_templates');
  }
}
