import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteStreams, isolatedEnv } from '../services/invites/test/harness.ts';
import { run, startService, type ServiceProcess } from './support/processes.ts';

/**
 * The whole path over HTTP with every piece a real process: the admin CLI, the invites
 * service and the gateway on their own database and NATS prefix.
 */
let invites: ServiceProcess;
let gateway: ServiceProcess;
let base: string;
let env: Record<string, string>;
let dropDatabase: () => Promise<void>;

async function post<T>(path: string, body: unknown, accessToken?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  const isolated = await isolatedEnv('e2e', { INVITES_HTTP_PORT: '0' });
  dropDatabase = isolated.db.drop;
  env = { ...isolated.env, GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  invites = startService('services/invites/src/server.ts', env);
  await invites.waitFor(/"msg":"invites ready"/);
  gateway = startService('services/gateway/src/server.ts', env);
  const line = await gateway.waitFor(/Server listening at http:\/\/127\.0\.0\.1:\d+/);
  base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
});

afterAll(async () => {
  await gateway?.stop();
  await invites?.stop();
  const nc = await connect({ servers: env.NATS_URL });
  await deleteStreams(nc, env.NATS_PREFIX!);
  await nc.drain();
  await dropDatabase?.();
});

describe('end to end over HTTP', () => {
  it('owner bootstraps, invites, the invitee accepts and signs in as a member', async () => {
    const ownerEmail = `owner.${Date.now()}@e2e.test`;
    const created = await run('services/invites/src/admin.ts', ['create-org', '--name', 'E2E Org', '--seats', '3', '--owner-email', ownerEmail], env);
    expect(created.code, created.stderr).toBe(0);
    const bootstrap = JSON.parse(created.stdout) as { orgId: string; ownerInvite: { id: string; acceptUrl: string } };
    const ownerToken = new URL(bootstrap.ownerInvite.acceptUrl).hash.slice('#token='.length);

    const owner = await post<{ accessToken: string }>('/v1/invites/accept', { token: ownerToken, name: 'Erin Owner', username: `erin${Date.now()}`, password: 'owner password 123' });
    expect(owner.status).toBe(201);
    const login = await post<{ accessToken: string }>('/v1/auth/login', { email: ownerEmail, password: 'owner password 123' });
    expect(login.status).toBe(200);

    const inviteeEmail = `invitee.${Date.now()}@e2e.test`;
    const invite = await post<{ acceptUrl: string; invite: { id: string } }>(`/v1/orgs/${bootstrap.orgId}/invites`, { email: inviteeEmail, role: 'admin' }, login.body.accessToken);
    expect(invite.status).toBe(201);
    const token = new URL(invite.body.acceptUrl).hash.slice('#token='.length);

    const lookup = await post<{ orgName: string; role: string; accountExists: boolean }>('/v1/invites/lookup', { token });
    expect(lookup).toMatchObject({ status: 200, body: { orgName: 'E2E Org', role: 'admin', accountExists: false } });

    const accepted = await post<{ membership: { role: string } }>('/v1/invites/accept', { token, name: 'Ivy Invitee', username: `ivy${Date.now()}`, password: 'invitee password 1' });
    expect(accepted).toMatchObject({ status: 201, body: { membership: { role: 'admin' } } });

    const member = await post<{ accessToken: string }>('/v1/auth/login', { email: inviteeEmail, password: 'invitee password 1' });
    expect(member.status).toBe(200);
    const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${member.body.accessToken}` } });
    const body = (await me.json()) as { memberships: { orgId: string; role: string }[] };
    expect(body.memberships).toEqual([expect.objectContaining({ orgId: bootstrap.orgId, role: 'admin' })]);

    const invitesAfter = await fetch(`${base}/v1/orgs/${bootstrap.orgId}/invites/${invite.body.invite.id}`, {
      headers: { authorization: `Bearer ${member.body.accessToken}` },
    });
    expect(await invitesAfter.json()).toMatchObject({ status: 'accepted' });
  });
});
