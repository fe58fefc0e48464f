import { Migration } from '@mikro-orm/migrations';

/** The initial schema of design.md's data model. */
export class Migration20261125000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table orgs (
        id uuid primary key,
        name text not null,
        plan text not null default 'free',
        seat_limit integer not null check (seat_limit > 0),
        created_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table users (
        id uuid primary key,
        email text not null check (email = lower(email)),
        username text not null,
        name text not null,
        password_hash text not null,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`create unique index users_email_key on users (lower(email))`);
    this.addSql(`create unique index users_username_key on users (lower(username))`);
    this.addSql(`
      create table memberships (
        id uuid primary key,
        org_id uuid not null references orgs (id) deferrable initially deferred,
        user_id uuid not null references users (id) deferrable initially deferred,
        role text not null check (role in ('owner', 'admin', 'member')),
        created_at timestamptz not null default now(),
        unique (org_id, user_id)
      )`);
    this.addSql(`create index memberships_user_idx on memberships (user_id)`);
    this.addSql(`create index memberships_org_listing_idx on memberships (org_id, created_at, id)`);
    this.addSql(`
      create table invites (
        id uuid primary key,
        org_id uuid not null references orgs (id) deferrable initially deferred,
        email text not null check (email = lower(email)),
        phone text,
        role text not null check (role in ('owner', 'admin', 'member')),
        status text not null default 'pending'
          check (status in ('pending', 'accepted', 'declined', 'withdrawn', 'expired')),
        token_hash text not null unique,
        token_version integer not null default 1,
        sealed_token text,
        expires_at timestamptz not null,
        invited_by uuid references users (id) deferrable initially deferred,
        channels jsonb not null default '["email"]',
        locale text not null default 'en',
        message text,
        created_at timestamptz not null default now(),
        sent_at timestamptz not null default now(),
        accepted_at timestamptz,
        declined_at timestamptz,
        withdrawn_at timestamptz,
        expired_at timestamptz,
        accepted_user_id uuid references users (id) deferrable initially deferred,
        email_status text not null check (email_status in ('queued', 'sent', 'failed', 'dead', 'skipped')),
        email_attempts integer not null default 0,
        email_last_error text,
        email_sent_at timestamptz,
        email_provider_id text,
        email_version integer not null default 1,
        email_updated_at timestamptz not null default now(),
        sms_status text not null check (sms_status in ('queued', 'sent', 'failed', 'dead', 'skipped')),
        sms_attempts integer not null default 0,
        sms_last_error text,
        sms_sent_at timestamptz,
        sms_provider_id text,
        sms_version integer not null default 1,
        sms_updated_at timestamptz not null default now()
      )`);
    // One pending invite per (org, email): the database decides, also under races.
    this.addSql(`create unique index invites_one_pending_idx on invites (org_id, lower(email)) where status = 'pending'`);
    this.addSql(`create index invites_org_listing_idx on invites (org_id, created_at desc, id desc)`);
    this.addSql(`create index invites_org_status_listing_idx on invites (org_id, status, created_at desc, id desc)`);
    this.addSql(`create index invites_expiry_idx on invites (expires_at) where status = 'pending'`);
    this.addSql(`
      create index invites_unconfirmed_email_idx on invites (email_updated_at)
        where status = 'pending' and email_status in ('queued', 'failed')`);
    this.addSql(`
      create index invites_unconfirmed_sms_idx on invites (sms_updated_at)
        where status = 'pending' and sms_status in ('queued', 'failed')`);
    this.addSql(`
      create table audit_log (
        id uuid primary key,
        org_id uuid not null references orgs (id) deferrable initially deferred,
        actor text not null,
        action text not null,
        target text not null,
        data jsonb not null default '{}',
        at timestamptz not null default now()
      )`);
    this.addSql(`create index audit_log_org_listing_idx on audit_log (org_id, at desc, id desc)`);
    // The audit log is append-only: the database itself refuses changes.
    this.addSql(`
      create function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only';
      end $$`);
    this.addSql(`
      create trigger audit_log_no_change before update or delete on audit_log
        for each row execute function audit_log_append_only()`);
    this.addSql(`
      create table outbox (
        id uuid primary key,
        subject text not null,
        payload jsonb not null,
        headers jsonb not null default '{}',
        created_at timestamptz not null default now(),
        published_at timestamptz
      )`);
    this.addSql(`create index outbox_unpublished_idx on outbox (created_at) where published_at is null`);
    this.addSql(`create index outbox_published_idx on outbox (published_at) where published_at is not null`);
    // Wake the relay on commit: NOTIFY is delivered only when the transaction commits.
    this.addSql(`
      create function outbox_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('outbox', '');
        return null;
      end $$`);
    this.addSql(`
      create trigger outbox_inserted after insert on outbox
        for each statement execute function outbox_notify()`);
    this.addSql(`
      create table refresh_tokens (
        hash text primary key,
        user_id uuid not null references users (id) deferrable initially deferred,
        family uuid not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        revoked_at timestamptz
      )`);
    this.addSql(`create index refresh_tokens_family_idx on refresh_tokens (family)`);
    this.addSql(`create index refresh_tokens_user_idx on refresh_tokens (user_id)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists refresh_tokens, outbox, audit_log, invites, memberships, users, orgs cascade');
    this.addSql('drop function if exists outbox_notify, audit_log_append_only cascade');
  }
}
