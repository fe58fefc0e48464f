import { Migration } from '@mikro-orm/migrations';

/**
 * Seat and quota counters on the org row, so that a create takes the org lock for one
 * statement instead of counting an org's invites under it.
 *
 * - `orgs.members_count`: memberships, kept by a trigger on memberships.
 * - `orgs.pending_count`: invites inserted as pending, kept by a trigger on invites.
 * - `seat_releases`: one row per pending invite that closed (accepted, declined,
 *   withdrawn, expired). Closing an invite only inserts here and never touches the org
 *   row, so a withdrawal, decline or expiry never waits for the seat lock; creates fold
 *   the rows back into `pending_count` while they hold it. Pending now =
 *   `pending_count` − the org's `seat_releases` rows.
 * - `orgs.quota_window`, `orgs.quota_used`: invites created in the current clock hour
 *   (replaces `invite_quota`), kept by the same trigger on invites.
 *
 * The insert trigger also enforces the two rules a create must never break, after it
 * has locked the org row, so that concurrent creates and accepts are serialised:
 * members + pending invites that have not expired ≤ seat_limit (constraint name
 * `orgs_seat_limit`), and no pending invite for someone who is already a member
 * (`invites_not_member`). These hold for every writer, not only the service.
 */
export class Migration20261206000000 extends Migration {
  override async up(): Promise<void> {
    // Nothing may write these tables while the counters are computed from them.
    this.addSql('lock table orgs, memberships, invites in share row exclusive mode');
    this.addSql(`
      alter table orgs
        add column members_count integer not null default 0,
        add column pending_count integer not null default 0,
        add column quota_window timestamptz,
        add column quota_used integer not null default 0`);
    this.addSql(`
      create table seat_releases (
        id bigint generated always as identity primary key,
        org_id uuid not null references orgs (id) deferrable initially deferred
      )`);
    this.addSql('create index seat_releases_org_idx on seat_releases (org_id)');
    this.addSql(`
      update orgs o set
        members_count = (select count(*) from memberships m where m.org_id = o.id),
        pending_count = (select count(*) from invites i where i.org_id = o.id and i.status = 'pending'),
        quota_window = date_trunc('hour', now()),
        quota_used = coalesce((select q.created from invite_quota q where q.org_id = o.id and q.window_start = date_trunc('hour', now())), 0)`);
    this.addSql('drop table invite_quota');

    this.addSql(`
      create function invites_inserted() returns trigger language plpgsql as $$
      declare
        full_org uuid;
      begin
        -- Locks each org row, folds the seats that closed since, and counts the new rows.
        with counted as (
          select org_id, count(*)::int as created, (count(*) filter (where status = 'pending'))::int as pending
            from added group by org_id
        ), released as (
          delete from seat_releases r using counted c where r.org_id = c.org_id returning r.org_id
        ), updated as (
          update orgs o set
            pending_count = o.pending_count + c.pending
              - (select count(*) from released r where r.org_id = o.id),
            quota_used = case when o.quota_window = date_trunc('hour', now()) then o.quota_used else 0 end + c.created,
            quota_window = date_trunc('hour', now())
            from counted c
           where o.id = c.org_id
          returning o.id, c.pending > 0 and o.members_count + o.pending_count > o.seat_limit as over,
                    o.members_count + o.pending_count - o.seat_limit as excess
        )
        -- Overdue pending invites hold no seat (the sweeper expires them in its own time):
        -- counted only when the counters alone say the org is full.
        select u.id into full_org from updated u
         where u.over
           and u.excess > (select count(*) from invites i where i.org_id = u.id and i.status = 'pending' and i.expires_at <= now())
         limit 1;
        if full_org is not null then
          raise exception 'all seats of organisation % are taken', full_org
            using errcode = 'check_violation', constraint = 'orgs_seat_limit';
        end if;
        -- Runs after the org rows are locked, so it sees every accept that committed before.
        if exists (
          select 1 from added a
            join users u on lower(u.email) = a.email
            join memberships m on m.user_id = u.id and m.org_id = a.org_id
           where a.status = 'pending'
        ) then
          raise exception 'a pending invite for a member of the organisation'
            using errcode = 'check_violation', constraint = 'invites_not_member';
        end if;
        return null;
      end $$`);
    this.addSql(`
      create trigger invites_inserted after insert on invites
        referencing new table as added for each statement execute function invites_inserted()`);

    // Called by a create whose rows would exceed the hourly quota (a limit the service
    // configures, so it is checked in the statement rather than in the trigger).
    this.addSql(`
      create function invites_over_quota() returns integer language plpgsql as $$
      begin
        raise exception 'the organisation reached its hourly invite quota'
          using errcode = 'check_violation', constraint = 'orgs_hourly_quota';
      end $$`);

    this.addSql(`
      create function invites_closed() returns trigger language plpgsql as $$
      begin
        insert into seat_releases (org_id) values (new.org_id);
        return null;
      end $$`);
    this.addSql(`
      create trigger invites_closed after update of status on invites
        for each row when (old.status = 'pending' and new.status <> 'pending') execute function invites_closed()`);

    this.addSql(`
      create function memberships_counted() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update orgs set members_count = members_count + 1 where id = new.org_id;
        else
          update orgs set members_count = members_count - 1 where id = old.org_id;
        end if;
        return null;
      end $$`);
    this.addSql(`
      create trigger memberships_counted after insert or delete on memberships
        for each row execute function memberships_counted()`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists memberships_counted on memberships');
    this.addSql('drop trigger if exists invites_closed on invites');
    this.addSql('drop trigger if exists invites_inserted on invites');
    this.addSql('drop function if exists memberships_counted, invites_closed, invites_over_quota, invites_inserted');
    this.addSql(`
      create table invite_quota (
        org_id uuid not null references orgs (id) deferrable initially deferred,
        window_start timestamptz not null,
        created integer not null default 0,
        primary key (org_id, window_start)
      )`);
    this.addSql(`
      insert into invite_quota (org_id, window_start, created)
        select id, quota_window, quota_used from orgs where quota_window = date_trunc('hour', now())`);
    this.addSql('drop table if exists seat_releases');
    this.addSql('alter table orgs drop column members_count, drop column pending_count, drop column quota_window, drop column quota_used');
  }
}
