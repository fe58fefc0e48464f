import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceptInviteReply, AddressCodeSent, AddressConfirmed, InviteLookup, InviteWithLink } from '@invite/contracts';
import { codeSentFor, email, orgWithOwner, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, expectRetryAfter, json, tableCounts } from './support.ts';

/**
 * Over HTTP: an inviter's copy of a link neither creates an account for the invited
 * address nor says whether it has one; a code emailed to the address (POST
 * /v1/invites/verify-email, then …/confirm) buys the proof that does.
 */
let g: TestGateway;
let org: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('gwaddress', { TOKEN_LIMIT_PER_15MIN: '100000' });
  org = await orgWithOwner(g.invites, 20, 'Proof Co');
});
afterAll(async () => {
  await g?.close();
});

async function invite(who = email('invitee')): Promise<InviteWithLink> {
  const res = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(org.owner.accessToken), payload: { email: who, role: 'member' } });
  expect(res.statusCode, res.body).toBe(201);
  return json<InviteWithLink>(res);
}

function post(path: string, payload: Record<string, unknown>) {
  return g.app.inject({ method: 'POST', url: `/v1/invites/${path}`, payload });
}

const account = () => ({ name: 'Pat Proof', username: `pat${Math.random().toString(36).slice(2, 10)}`, password: 'a long enough passphrase' });

describe('POST /v1/invites/accept with the link the inviter got', () => {
  it('403 ADDRESS_NOT_VERIFIED, the same for an address with an account and one without; nothing changes', async () => {
    const fresh = await invite();
    const taken = await invite((await orgWithOwner(g.invites, 2, 'Has Account')).ownerEmail);
    const counts = await tableCounts(g);
    const a = expectProblem(await post('accept', { token: tokenOf(fresh.acceptUrl), ...account() }), 403, 'ADDRESS_NOT_VERIFIED');
    const b = expectProblem(await post('accept', { token: tokenOf(taken.acceptUrl), ...account() }), 403, 'ADDRESS_NOT_VERIFIED');
    expect(a.detail).toBe(b.detail);
    expect(await tableCounts(g)).toEqual(counts);
    const lookups = await Promise.all([fresh, taken].map((i) => post('lookup', { token: tokenOf(i.acceptUrl) })));
    for (const res of lookups) expect(json<InviteLookup>(res)).toMatchObject({ accountExists: null, addressVerified: false });
  });
});

describe('POST /v1/invites/verify-email and …/confirm', () => {
  it('202 sends a code; a wrong code is 403 VERIFICATION_CODE_INVALID naming /code; the right one is 200 with the proof that creates the account', async () => {
    const created = await invite();
    const token = tokenOf(created.acceptUrl);
    const sent = await post('verify-email', { token });
    expect(sent.statusCode, sent.body).toBe(202);
    expect(json<AddressCodeSent>(sent)).toMatchObject({ email: created.invite.email });
    expect(String(sent.headers['cache-control'])).toContain('no-store');

    const code = await codeSentFor(g.invites, created.invite.id);
    const wrong = expectProblem(await post('verify-email/confirm', { token, code: code === '000000' ? '999999' : '000000' }), 403, 'VERIFICATION_CODE_INVALID');
    expect(wrong.errors).toEqual([{ path: '/code', message: 'is not the code we sent' }]);
    expect(wrong.detail).toMatch(/tries left/);

    const confirmed = await post('verify-email/confirm', { token, code });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const { proof, accountExists } = json<AddressConfirmed>(confirmed);
    expect(accountExists).toBe(false);
    expect(String(confirmed.headers['cache-control'])).toContain('no-store');
    expect(json<InviteLookup>(await post('lookup', { token, proof }))).toMatchObject({ accountExists: false, addressVerified: true });

    const accepted = await post('accept', { token, proof, ...account() });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(json<AcceptInviteReply>(accepted).user.email).toBe(created.invite.email);
    expectProblem(await post('verify-email/confirm', { token, code }), 410, 'INVITE_ALREADY_USED');
  });

  it('429 RATE_LIMITED with Retry-After for a second code within the cool-down; 400 for a code that is not 6 digits; 404/410 for dead links', async () => {
    const created = await invite();
    const token = tokenOf(created.acceptUrl);
    expect((await post('verify-email', { token })).statusCode).toBe(202);
    const again = await post('verify-email', { token });
    expectProblem(again, 429, 'RATE_LIMITED');
    expectRetryAfter(again, 30);

    const bad = expectProblem(await post('verify-email/confirm', { token, code: '12 34' }), 400, 'VALIDATION_FAILED');
    expect(bad.errors?.map((e) => e.path)).toEqual(['/code']);

    expectProblem(await post('verify-email', { token: 'A'.repeat(43) }), 404, 'INVITE_NOT_FOUND');
    await g.app.inject({ method: 'DELETE', url: `/v1/orgs/${org.orgId}/invites/${created.invite.id}`, headers: bearer(org.owner.accessToken) });
    expectProblem(await post('verify-email', { token }), 410, 'INVITE_WITHDRAWN');
  });
});
