import { Migration } from '@mikro-orm/migrations';

/**
 * Join links: multi-use links an organisation's admins share so that people join
 * without an invite each.
 *
 * - `join_links`: the link's token only as SHA-256 (`token_hash`, unique), the role it
 *   grants (member or admin, never owner), its optional cap on uses, its expiry, its
 *   allowed email domains (lower case; empty: any), who made it, and its state as
 *   times: paused (can resume) and revoked (final). `uses` counts joins; a join raises
 *   it in the same conditional UPDATE that checks the state, the expiry, the cap and
 *   the seats, under the org row's lock, so concurrent joins never exceed either.
 * - `address_codes` also serves join links: a code proves that the holder reads mail
 *   at `email`, for one link (`join_link_id`), before an account is created for that
 *   address. Exactly one of `invite_id` and `join_link_id` is set.
 */
export class Migration20261220000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table join_links (
        id uuid primary key,
        org_id uuid not null references orgs (id),
        token_hash text not null,
        label text,
        role text not null check (role in ('admin', 'member')),
        max_uses integer check (max_uses between 1 and 100000),
        uses integer not null default 0,
        allowed_domains text[] not null default '{}',
        expires_at timestamptz not null,
        created_by uuid references users (id),
        created_at timestamptz not null default now(),
        paused_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        constraint join_links_uses_within_cap check (max_uses is null or uses <= max_uses)
      )`);
    this.addSql('create unique index join_links_token_hash_uq on join_links (token_hash)');
    this.addSql('create index join_links_org_idx on join_links (org_id, created_at desc, id desc)');

    this.addSql('alter table address_codes alter column invite_id drop not null');
    this.addSql(`
      alter table address_codes
        add column join_link_id uuid references join_links (id) deferrable initially deferred,
        add column email text,
        add constraint address_codes_one_subject check ((invite_id is null) <> (join_link_id is null)),
        add constraint address_codes_join_email check (join_link_id is null or email is not null)`);
    this.addSql('create index address_codes_join_idx on address_codes (join_link_id, email, created_at desc) where join_link_id is not null');
  }

  override async down(): Promise<void> {
    this.addSql('delete from address_codes where join_link_id is not null');
    this.addSql('drop index if exists address_codes_join_idx');
    this.addSql('alter table address_codes drop constraint address_codes_join_email, drop constraint address_codes_one_subject, drop column email, drop column join_link_id');
    this.addSql('alter table address_codes alter column invite_id set not null');
    this.addSql('drop table if exists join_links');
  }
}
