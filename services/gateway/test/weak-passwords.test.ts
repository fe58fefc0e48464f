import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteWithLink } from '@invite/contracts';
import { email, orgWithOwner, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json, tableCounts } from './support.ts';

/** A new account's password that is common, repetitive or the account's own name is a 400 naming the field (ASVS 6.2). */

let g: TestGateway;
let org: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('gwweakpw', { TOKEN_LIMIT_PER_15MIN: '100000' });
  org = await orgWithOwner(g.invites, 10, 'Weak Password Org');
});

afterAll(async () => {
  await g?.close();
});

describe('POST /v1/invites/accept with a weak password', () => {
  it('→ 400 VALIDATION_FAILED at /password saying why; nothing is created', async () => {
    const res = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(org.owner.accessToken), payload: { email: email('weak'), role: 'member' } });
    expect(res.statusCode, res.body).toBe(201);
    const token = tokenOf(json<InviteWithLink>(res).acceptUrl);
    const before = await tableCounts(g);
    for (const [password, reason] of [
      ['iloveyou1234', 'This password is on a list of commonly used passwords; choose another'],
      ['abcabcabcabcabc', 'one short pattern repeated'],
      ['weakling-user-pw', 'contains your username'],
    ] as const) {
      const accept = await g.app.inject({ method: 'POST', url: '/v1/invites/accept', payload: { token, name: 'Weak Person', username: 'weakling', password } });
      const problem = expectProblem(accept, 400, 'VALIDATION_FAILED');
      expect(problem.detail, password).toContain(reason);
      expect(problem.errors).toEqual([{ path: '/password', message: problem.detail.replace(/^This password /, '') }]);
    }
    expect(await tableCounts(g)).toEqual(before);
  });
});
