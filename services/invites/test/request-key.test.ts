import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type InviteWithLink } from '@invite/contracts';
import { email, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Regression (chaos suite, issue 12): a create whose answer was lost (the invites
 * service or the gateway killed after the commit, a 504 at the deadline) was retried
 * with its Idempotency-Key and got 409 INVITE_ALREADY_PENDING for its own invite. Under
 * a request key, a repeat of the create answers with the invite the key made.
 */
let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('requestkey');
  org = await orgWithOwner(t, 100);
});
afterAll(() => t?.close());

const requestKey = () => createHash('sha256').update(crypto.randomUUID()).digest('base64url');

function create(who: string, key: string | undefined): Promise<InviteWithLink> {
  return t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'member' }, ...(key ? { requestKey: key } : {}) }, { accessToken: org.owner.accessToken });
}

async function failure(call: Promise<unknown>): Promise<DomainError> {
  const outcome = await call.then(() => undefined, (error: unknown) => error);
  if (outcome instanceof DomainError) return outcome;
  throw new Error(`expected a DomainError, got ${String(outcome)}`);
}

describe('invite.create under a request key', () => {
  it('a repeat answers with the invite and link of the first, and writes nothing', async () => {
    const key = requestKey();
    const who = email('repeat');
    const first = await create(who, key);
    const again = await create(who, key);
    expect(again).toEqual(first);
    const rows = await t.sql<{ n: number }>(`select count(*)::int as n from invites where org_id = ? and email = ?`, [org.orgId, who]);
    expect(rows[0]!.n).toBe(1);
    const events = await t.sql<{ n: number }>(`select count(*)::int as n from outbox where payload->>'inviteId' = ?`, [first.invite.id]);
    expect(events[0]!.n).toBe(1);
  });

  it('repeats running at once all get the one invite', async () => {
    const key = requestKey();
    const who = email('racing');
    const answers = await Promise.all(Array.from({ length: 6 }, () => create(who, key)));
    expect(new Set(answers.map((a) => a.invite.id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.acceptUrl)).size).toBe(1);
  });

  it('another key, or none, for a pending address is still 409 INVITE_ALREADY_PENDING', async () => {
    const who = email('pending');
    await create(who, requestKey());
    expect((await failure(create(who, requestKey()))).code).toBe('INVITE_ALREADY_PENDING');
    expect((await failure(create(who, undefined))).code).toBe('INVITE_ALREADY_PENDING');
  });

  it('the same key for another address is 422 IDEMPOTENCY_KEY_REUSED; for a withdrawn invite 409 INVITE_NOT_PENDING', async () => {
    const key = requestKey();
    const first = await create(email('first'), key);
    expect((await failure(create(email('second'), key))).code).toBe('IDEMPOTENCY_KEY_REUSED');
    await t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: first.invite.id }, { accessToken: org.owner.accessToken });
    expect((await failure(create(first.invite.email, key))).code).toBe('INVITE_NOT_PENDING');
  });
});
