import { Migration } from '@mikro-orm/migrations';

/**
 * Organisation settings (email template, branding, default locale) and the index the
 * invite analytics read: one range scan of an org's invites by creation time that
 * never visits the table (every column the aggregates use is in the index).
 */
export class Migration20261201000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table org_settings (
        org_id uuid primary key references orgs (id) deferrable initially deferred,
        email_subject text check (char_length(email_subject) between 1 and 200),
        email_body text check (char_length(email_body) between 1 and 5000),
        logo_url text check (logo_url like 'https://%' and char_length(logo_url) <= 500),
        accent_color text check (accent_color ~ '^#[0-9a-fA-F]{6}$'),
        default_locale text not null default 'en' check (default_locale ~ '^[a-z]{2}(-[A-Z]{2})?$'),
        updated_at timestamptz not null default now(),
        updated_by uuid references users (id) deferrable initially deferred
      )`);
    this.addSql(`
      create index invites_org_analytics_idx on invites (org_id, created_at)
        include (role, status, expires_at, accepted_at, email_status, sms_status, channels)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists invites_org_analytics_idx');
    this.addSql('drop table if exists org_settings');
  }
}
