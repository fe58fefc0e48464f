import { Migration } from '@mikro-orm/migrations';

/**
 * The dispatcher claims due deliveries per endpoint (the oldest ones, up to the room its
 * lane has), so that one endpoint's backlog never crowds out the others: an index of
 * pending rows by endpoint and due time serves each endpoint's probe.
 */
export class Migration20261216010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index webhook_deliveries_endpoint_due_idx on webhook_deliveries (endpoint_id, next_attempt_at) where status = 'pending'`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists webhook_deliveries_endpoint_due_idx');
  }
}
