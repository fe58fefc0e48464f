import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgWithOwner, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';

let g: TestGateway;
let org: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('query');
  org = await orgWithOwner(g.invites, 5);
});
afterAll(() => g?.close());

describe('query strings', () => {
  it.each(['limit=1.5', 'limit=0x10', 'limit=1e1', 'limit=%2010'])('refuses %s instead of reading some other number from it', async (query) => {
    const response = await g.app.inject({ method: 'GET', url: `/v1/orgs/${org.orgId}/invites?${query}`, headers: { authorization: `Bearer ${org.owner.accessToken}` } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: '/query/limit' })] });
  });

  it('takes a plain decimal numeral', async () => {
    const response = await g.app.inject({ method: 'GET', url: `/v1/orgs/${org.orgId}/invites?limit=10`, headers: { authorization: `Bearer ${org.owner.accessToken}` } });
    expect(response.statusCode).toBe(200);
  });
});
