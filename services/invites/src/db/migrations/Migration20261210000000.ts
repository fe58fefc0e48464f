import { Migration } from '@mikro-orm/migrations';

/**
 * `address_codes`: six-digit codes emailed to an invited address, so that a holder of
 * the link who did not get it by email (the inviter's copy, an SMS) can prove the
 * address before an account is created for it. Stored only as SHA-256 of the row id and
 * the code, bound to the token version it was sent for (a resend makes it worthless),
 * with its expiry and the wrong attempts made against it. Rows are kept as the record
 * of how many codes an invite had (the daily cap counts them).
 */
export class Migration20261210000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table address_codes (
        id uuid primary key,
        invite_id uuid not null references invites (id) deferrable initially deferred,
        token_version integer not null,
        code_hash text not null,
        attempts integer not null default 0,
        expires_at timestamptz not null,
        created_at timestamptz not null default now(),
        used_at timestamptz
      )`);
    this.addSql('create index address_codes_invite_idx on address_codes (invite_id, created_at desc)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists address_codes');
  }
}
