import { Migration } from '@mikro-orm/migrations';

/**
 * `invites.request_key`: the gateway's hash of the client's Idempotency-Key of the create
 * that wrote the invite. A create whose answer was lost (the gateway or this service
 * killed after the commit, a timeout) is retried with the same key, and gets this invite
 * back instead of INVITE_ALREADY_PENDING. Unique per org and inviter.
 */
export class Migration20261212000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table invites add column request_key text');
    this.addSql('create unique index invites_request_key on invites (org_id, invited_by, request_key) where request_key is not null');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists invites_request_key');
    this.addSql('alter table invites drop column if exists request_key');
  }
}
