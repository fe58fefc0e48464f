import { Migration } from '@mikro-orm/migrations';

/**
 * The invitee's inbox and redirect after accept.
 *
 * `invites.redirect_url`: the page the accept page sends the new member to, checked
 * against the org's allow-list when the invite is made (and again at accept).
 * `org_settings.redirect_origins`: that allow-list, a JSON array of origins.
 * `invites_inbox_idx`: the inbox lists the pending invites of one address across every
 * org, newest first; invites store the address in lower case and are matched on
 * `lower(email)`, as the one-pending-invite index does, so the listing is one range scan.
 */
export class Migration20261221000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table invites add column redirect_url text check (char_length(redirect_url) <= 2000)`);
    this.addSql(`alter table org_settings add column redirect_origins jsonb not null default '[]' check (jsonb_typeof(redirect_origins) = 'array')`);
    this.addSql(`create index invites_inbox_idx on invites (lower(email), created_at desc, id desc) where status = 'pending'`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists invites_inbox_idx');
    this.addSql('alter table org_settings drop column if exists redirect_origins');
    this.addSql('alter table invites drop column if exists redirect_url');
  }
}
