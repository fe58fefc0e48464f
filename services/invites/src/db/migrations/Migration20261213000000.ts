import { Migration } from '@mikro-orm/migrations';

/**
 * Password reset by email.
 *
 * - `password_resets`: one row per emailed link, its token only as SHA-256, the account,
 *   its expiry and when it was used (single use). Rows stay as the record of how many
 *   links an account had emailed (the hourly cap counts them).
 * - `audit_log.org_id` becomes nullable: a password reset belongs to an account, not to
 *   an organisation. Organisation listings select by org_id and never show these rows.
 */
export class Migration20261213000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table password_resets (
        token_hash text primary key,
        user_id uuid not null references users (id) deferrable initially deferred,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        used_at timestamptz
      )`);
    this.addSql('create index password_resets_user_idx on password_resets (user_id, created_at desc)');
    this.addSql('alter table audit_log alter column org_id drop not null');
  }

  override async down(): Promise<void> {
    // audit_log.org_id stays nullable: the log is append-only, so the account entries
    // that would break the constraint cannot be removed.
    this.addSql('drop table if exists password_resets');
  }
}
