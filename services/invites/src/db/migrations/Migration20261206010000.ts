import { Migration } from '@mikro-orm/migrations';

/**
 * Caps on how many invites one address (or phone number) receives and one user sends
 * in 24 hours, across every organisation.
 *
 * - `send_counts`: per subject (`to:<address>`, `to:<phone>`, `by:<user id>`) and clock
 *   hour, how many invites were created or resent. A create or resend adds to its
 *   subjects' current hour in the statement that writes the invite, after it has locked
 *   the org row, and is refused when the last 24 hours add up to more than the cap; the
 *   refusal rolls the count back with everything else. Rows older than a day are
 *   deleted by the sweeper.
 */
export class Migration20261206010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table send_counts (
        subject text not null,
        hour timestamptz not null,
        n integer not null,
        primary key (subject, hour)
      )`);
    this.addSql(`create index send_counts_hour on send_counts (hour)`);
    this.addSql(`
      create function invites_over_recipient_cap() returns integer language plpgsql as $$
      begin
        raise exception 'an address or phone number reached its daily invite cap'
          using errcode = 'check_violation', constraint = 'sends_recipient_cap';
      end $$`);
    this.addSql(`
      create function invites_over_inviter_cap() returns integer language plpgsql as $$
      begin
        raise exception 'the inviter reached their daily invite cap'
          using errcode = 'check_violation', constraint = 'sends_inviter_cap';
      end $$`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists invites_over_recipient_cap, invites_over_inviter_cap');
    this.addSql('drop table if exists send_counts');
  }
}
