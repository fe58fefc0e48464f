import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgWithOwner, password, type OrgWithOwner } from '../../../services/invites/test/harness.ts';
import { isRoute, problemOf, startLiveApi, type LiveApi } from './support.ts';

/** The SDK's inbox methods against a live gateway: list, list every page, accept with its redirect, decline, and the 404 of another's invite. */
let api: LiveApi;
let invitee: OrgWithOwner;

beforeAll(async () => {
  api = await startLiveApi('sdkinbox');
  invitee = await orgWithOwner(api.g.invites, 5, 'Home');
});
afterAll(() => api?.close());

async function invitedBy(name: string, redirectUrl?: string) {
  const org = await orgWithOwner(api.g.invites, 5, name);
  const admin = api.client();
  await admin.auth.login({ email: org.ownerEmail, password });
  if (redirectUrl) await admin.orgs.updateSettings(org.orgId, { redirectOrigins: [new URL(redirectUrl).origin] });
  const created = await admin.invites.create(org.orgId, { email: invitee.ownerEmail, role: 'member', ...(redirectUrl ? { redirectUrl } : {}) });
  return { org, created };
}

describe('client.inbox', () => {
  it('lists, accepts (with the redirect) and declines the invites of the signed-in account', async () => {
    const first = await invitedBy('Acme', 'https://app.acme.example/welcome');
    const second = await invitedBy('Globex');
    const client = api.client();
    await client.auth.login({ email: invitee.ownerEmail, password });

    const page = await client.inbox.list({ limit: 1 });
    expect(page.items.map((i) => i.id)).toEqual([second.created.invite.id]);
    const all = [];
    for await (const item of client.inbox.listAll()) all.push(item.id);
    expect(all).toEqual([second.created.invite.id, first.created.invite.id]);

    const accepted = await client.inbox.accept(first.created.invite.id);
    expect(accepted).toMatchObject({ inviteId: first.created.invite.id, membership: { orgId: first.org.orgId, orgName: 'Acme' }, redirectUrl: 'https://app.acme.example/welcome' });
    expect(await client.inbox.decline(second.created.invite.id)).toEqual({ inviteId: second.created.invite.id, status: 'declined' });
    expect(api.sent.some((r) => isRoute(r, 'inbox.accept'))).toBe(true);

    const gone = await problemOf(client.inbox.accept(second.created.invite.id));
    expect([gone.status, gone.code]).toEqual([410, 'INVITE_ALREADY_USED']);
    const stranger = api.client();
    const other = await orgWithOwner(api.g.invites, 2, 'Other');
    await stranger.auth.login({ email: other.ownerEmail, password });
    const third = await invitedBy('Initech');
    const notMine = await problemOf(stranger.inbox.decline(third.created.invite.id));
    expect([notMine.status, notMine.code]).toEqual([404, 'NOT_FOUND']);
  });
});
