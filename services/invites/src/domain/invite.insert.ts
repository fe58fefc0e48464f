import type { Channel, InviteEvent } from '@invite/contracts';
import { auditColumns, auditRecordset, outboxColumns, outboxRecordset, type AuditRow, type OutboxRow } from './changes.ts';
import { inStatement, type Context } from './context.ts';
import { countSendsSql, sendCapCheckSql, sendCapsOf } from './sends.ts';

/** One invite ready to be written, with its audit entry and its event. */
export interface InviteDraft {
  row: {
    id: string;
    org_id: string;
    email: string;
    phone: string | null;
    role: string;
    token_hash: string;
    sealed_token: string;
    expires_at: string;
    invited_by: string | null;
    channels: Channel[];
    locale: string;
    message: string | null;
    /** Checked against the org's redirect origins. */
    redirect_url: string | null;
    created_at: string;
    email_status: 'queued' | 'skipped';
    sms_status: 'queued' | 'skipped';
    /** Hash of the Idempotency-Key of the create, when it had one. */
    request_key: string | null;
  };
  audit: AuditRow;
  event: OutboxRow & { payload: InviteEvent };
}

/**
 * Writes invites of one org, each with its audit entry and its event, in ONE statement:
 * the rows first (a pending invite for the same address is skipped by the partial unique
 * index, and reported as not created), then the org row is locked to check the hourly
 * quota, then the daily send counts of the addresses and the inviter are added to and
 * checked (sends.ts), and the insert trigger counts the seats and checks the membership rule on the
 * locked row. The org lock is the last lock taken
 * (but for the send counters, whose rows every statement locks after it) and is held only until this statement
 * (and its transaction) commits, so creates in one org wait for one statement, not for
 * each other's round trips. Refusals surface as errors whose constraint is a `Refusal`.
 * @returns the ids of the invites created.
 */
export async function insertInvites(ctx: Context, orgId: string, drafts: InviteDraft[]): Promise<Set<string>> {
  const limit = ctx.domain.config.INVITE_RATE_PER_HOUR;
  const caps = sendCapsOf(ctx);
  const [result] = await inStatement(ctx, () => ctx.em.execute<{ created: string[]; quota: number | null }[]>(
    `with ins as (
       insert into invites (id, org_id, email, phone, role, token_hash, sealed_token, expires_at, invited_by, channels, locale, message,
                            redirect_url, created_at, sent_at, email_status, sms_status, email_updated_at, sms_updated_at, request_key)
       select id, org_id, email, phone, role, token_hash, sealed_token, expires_at, invited_by, channels, locale, message,
              redirect_url, created_at, created_at, email_status, sms_status, created_at, created_at, request_key
         from jsonb_to_recordset(?::jsonb) as r(id uuid, org_id uuid, email text, phone text, role text, token_hash text, sealed_token text,
              expires_at timestamptz, invited_by uuid, channels jsonb, locale text, message text, redirect_url text, created_at timestamptz,
              email_status text, sms_status text, request_key text)
       on conflict (org_id, lower(email)) where status = 'pending' do nothing
       returning id, email, phone, channels, invited_by
     ), quota as (
       select quota_window, quota_used from orgs where id = ? and (select count(*) from ins) > 0 for no key update
     ), ${countSendsSql(caps, 'ins', 'quota')}, audit as (
       insert into audit_log ${auditColumns}
       select a.* from ${auditRecordset} join ins on a.target = 'invite:' || ins.id
     ), events as (
       insert into outbox ${outboxColumns}
       select e.* from ${outboxRecordset} join ins on (e.payload->>'inviteId')::uuid = ins.id
     )
     select array(select id::text from ins) as created,
            (select case when ?::int > 0
                          and (case when q.quota_window = date_trunc('hour', now()) then q.quota_used else 0 end) + (select count(*) from ins) > ?::int
                         then invites_over_quota() else 0 end
               from quota q) as quota,
            ${sendCapCheckSql(caps)} as caps`,
    [
      JSON.stringify(drafts.map((d) => d.row)),
      orgId,
      JSON.stringify(drafts.map((d) => d.audit)),
      JSON.stringify(drafts.map((d) => d.event)),
      limit,
      limit,
    ],
  ));
  return new Set(result?.created ?? []);
}
