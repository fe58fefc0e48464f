import { Migration } from '@mikro-orm/migrations';

/** The per-channel `*_version` columns always equalled `token_version`: results are matched on that. */
export class Migration20261202000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table invites drop column email_version, drop column sms_version');
  }

  override async down(): Promise<void> {
    this.addSql('alter table invites add column email_version integer not null default 1, add column sms_version integer not null default 1');
    this.addSql('update invites set email_version = token_version, sms_version = token_version');
  }
}
