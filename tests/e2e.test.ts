import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteStreams, isolatedEnv } from '../services/invites/test/harness.ts';
import { deleteNotifierState, eventually } from '../services/notifier/test/support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from '../services/notifier/test/support/smtp-mailbox.ts';
import { createInviteClient, ProblemError } from '@invite/sdk';
import { run, startService, type ServiceProcess } from './support/processes.ts';

/**
 * The whole path over HTTP with every piece a real process: the admin CLI, the invites
 * service, the notifier (to a real SMTP server in this test) and the gateway on their
 * own database and NATS prefix. HTTP calls go through the SDK (@invite/sdk), as an
 * integration would make them.
 */
let invites: ServiceProcess;
let notifier: ServiceProcess;
let gateway: ServiceProcess;
let smtp: SmtpMailbox;
let base: string;
let env: Record<string, string>;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  smtp = await startSmtpMailbox();
  const isolated = await isolatedEnv('e2e', { INVITES_HTTP_PORT: '0' });
  dropDatabase = isolated.db.drop;
  env = { ...isolated.env, GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', LOG_LEVEL: 'info', NOTIFIER_HTTP_PORT: '0', SMTP_URL: smtp.url, SMTP_FROM: 'invites@e2e.test' };
  invites = startService('services/invites/src/server.ts', env);
  await invites.waitFor(/"msg":"invites ready"/);
  notifier = startService('services/notifier/src/server.ts', env);
  await notifier.waitFor(/"msg":"notifier ready"/);
  gateway = startService('services/gateway/src/server.ts', env);
  const line = await gateway.waitFor(/Server listening at http:\/\/127\.0\.0\.1:\d+/);
  base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
});

afterAll(async () => {
  await gateway?.stop();
  await notifier?.stop();
  await invites?.stop();
  const nc = await connect({ servers: env.NATS_URL });
  await deleteStreams(nc, env.NATS_PREFIX!);
  await deleteNotifierState(nc, await jetstreamManager(nc), env.NATS_PREFIX!);
  await nc.drain();
  await dropDatabase?.();
  await smtp?.close();
});

describe('end to end over HTTP', () => {
  it('owner bootstraps, invites, the invitee accepts and signs in as a member', async () => {
    const ownerEmail = `owner.${Date.now()}@e2e.test`;
    const created = await run('services/invites/src/admin.ts', ['create-org', '--name', 'E2E Org', '--seats', '3', '--owner-email', ownerEmail], env);
    expect(created.code, created.stderr).toBe(0);
    const bootstrap = JSON.parse(created.stdout) as { orgId: string; ownerInvite: { id: string; acceptUrl: string } };
    // The operator's link carries the token and the address proof (the operator vouches for the owner's address).
    const ownerLink = new URLSearchParams(new URL(bootstrap.ownerInvite.acceptUrl).hash.slice(1));

    const owner = createInviteClient({ baseUrl: base });
    const ownerAccepted = await owner.invitee.accept({ token: ownerLink.get('token')!, proof: ownerLink.get('proof')!, name: 'Erin Owner', username: `erin${Date.now()}`, password: 'owner password 123' });
    expect(ownerAccepted.membership).toMatchObject({ orgId: bootstrap.orgId, role: 'owner' });
    const login = await owner.auth.login({ email: ownerEmail, password: 'owner password 123' });
    expect(login.user.email).toBe(ownerEmail);

    const inviteeEmail = `invitee.${Date.now()}@e2e.test`;
    const invite = await owner.invites.create(bootstrap.orgId, { email: inviteeEmail, role: 'admin' });
    expect(invite.invite).toMatchObject({ email: inviteeEmail, status: 'pending' });
    const fields = { name: 'Ivy Invitee', username: `ivy${Date.now()}`, password: 'invitee password 1' };
    // The inviter's copy of the link neither tells whether the address has an account nor creates one.
    const invitee = createInviteClient({ baseUrl: base });
    const inviterToken = new URLSearchParams(new URL(invite.acceptUrl).hash.slice(1)).get('token')!;
    expect(await invitee.invitee.lookup({ token: inviterToken })).toMatchObject({ accountExists: null, addressVerified: false });
    const refused = await invitee.invitee.accept({ token: inviterToken, ...fields }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemError);
    expect(refused).toMatchObject({ status: 403, code: 'ADDRESS_NOT_VERIFIED' });

    // The invitee opens the emailed link: the same token, with the address proof.
    const mail = await eventually(() => smtp.deliveredTo(inviteeEmail)[0], 30_000, "the invitee's email");
    const emailed = /(http\S+\/invite#\S+)/.exec(mail.parsed.text ?? '')![1]!;
    const link = new URLSearchParams(new URL(emailed).hash.slice(1));
    const token = link.get('token')!;
    expect(token).toBe(inviterToken);
    const proof = link.get('proof')!;

    expect(await invitee.invitee.lookup({ token, proof })).toMatchObject({ orgName: 'E2E Org', role: 'admin', accountExists: false });

    const accepted = await invitee.invitee.accept({ token, proof, ...fields });
    expect(accepted).toMatchObject({ membership: { role: 'admin' } });

    const member = createInviteClient({ baseUrl: base });
    await member.auth.login({ email: inviteeEmail, password: 'invitee password 1' });
    const me = await member.auth.me();
    expect(me.memberships).toEqual([expect.objectContaining({ orgId: bootstrap.orgId, role: 'admin' })]);

    expect(await member.invites.get(bootstrap.orgId, invite.invite.id)).toMatchObject({ status: 'accepted' });
  });
});
