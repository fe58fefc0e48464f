import { Migration } from '@mikro-orm/migrations';

/** Per-organisation invite quota: invites created per clock hour. */
export class Migration20261125010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table invite_quota (
        org_id uuid not null references orgs (id) deferrable initially deferred,
        window_start timestamptz not null,
        created integer not null default 0,
        primary key (org_id, window_start)
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists invite_quota');
  }
}
