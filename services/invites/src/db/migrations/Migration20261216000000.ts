import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks. `webhook_endpoints`: an organisation's HTTPS endpoints, their event types
 * and signing secrets (AES-256-GCM under TOKEN_ENCRYPTION_KEY, bound to the endpoint id;
 * the previous one kept for the rotation's grace period), and their failure streak,
 * which disables them when it lasts. Deleting one keeps the row (its delivery log
 * refers to it) and wipes its secrets.
 *
 * `webhook_deliveries`: one message to one endpoint, its body exactly as signed and
 * sent, and its attempts. The dispatcher fans an event out into these rows and works
 * from them: a due row is claimed with a lease, so replicas never send one at once and
 * a crashed dispatcher's rows are taken over once the lease lapses. One row per
 * (endpoint, message) except replays, so a redelivered event adds nothing.
 */
export class Migration20261216000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_endpoints (
        id uuid primary key,
        org_id uuid not null references orgs (id),
        url text not null,
        description text not null default '',
        event_types text[] not null,
        enabled boolean not null default true,
        disabled_reason text check (disabled_reason in ('manual', 'failing')),
        disabled_at timestamptz,
        secret_sealed text,
        previous_secret_sealed text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        consecutive_failures integer not null default 0,
        created_by uuid,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz
      )`);
    this.addSql('create index webhook_endpoints_org_idx on webhook_endpoints (org_id, created_at) where deleted_at is null');
    this.addSql(`
      create table webhook_deliveries (
        id uuid primary key,
        endpoint_id uuid not null references webhook_endpoints (id),
        org_id uuid not null,
        message_id text not null,
        event_type text not null,
        body text not null,
        status text not null default 'pending' check (status in ('pending', 'delivered', 'failed', 'cancelled')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        lease_until timestamptz,
        created_at timestamptz not null default now(),
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        response_status integer,
        latency_ms integer,
        last_error text,
        attempt_log jsonb not null default '[]',
        replay_of uuid
      )`);
    this.addSql('create unique index webhook_deliveries_message_uq on webhook_deliveries (endpoint_id, message_id) where replay_of is null');
    this.addSql('create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = \'pending\'');
    this.addSql('create index webhook_deliveries_log_idx on webhook_deliveries (endpoint_id, created_at desc, id desc)');
    this.addSql('create index webhook_deliveries_finished_idx on webhook_deliveries (created_at) where status <> \'pending\'');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists webhook_deliveries');
    this.addSql('drop table if exists webhook_endpoints');
  }
}
