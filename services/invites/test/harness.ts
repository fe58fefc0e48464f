import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject } from 'vitest';
import {
  createAddressProofs,
  createInvitesClient,
  developmentSecrets,
  natsNames,
  sealedAs,
  type AddressCodeEvent,
  type PasswordResetEvent,
  type InvitesClient,
  type NewInvite,
  type Role,
  type TokenPair,
} from '@invite/contracts';
import { startInvites, type InvitesApp } from '../src/app.ts';
import { loadInvitesConfig, type InvitesConfig } from '../src/config.ts';
import type { Context } from '../src/domain/context.ts';
import { createOrg } from '../src/domain/org.commands.ts';
import { createLogger } from '@invite/telemetry';
import { createTestDatabase, testPrefix } from '../../../tests/support/database.ts';

export interface TestInvites {
  app: InvitesApp;
  config: InvitesConfig;
  /** A client connection of the test itself. */
  nc: NatsConnection;
  client: InvitesClient;
  /** A fresh entity manager for assertions on the database. */
  em(): EntityManager;
  /** Runs raw SQL against the test database. */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  /** Environment that starts a second invites process on the same database and names. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * An org row (`o`) as JSON, as the platform sees it: `pending_count` less the releases
 * not folded in yet, because folding them is background bookkeeping, not a change.
 */
export const orgRowJson = `to_jsonb(o) || jsonb_build_object('pending_count', o.pending_count - (select count(*)::int from seat_releases r where r.org_id = o.id)) as row`;

/** Environment of an invites process isolated for one test file. */
export async function isolatedEnv(label: string, overrides: Record<string, string> = {}) {
  const db = await createTestDatabase(inject('postgresUrl'), label);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: '20',
    NATS_URL: inject('natsUrl'),
    NATS_PREFIX: testPrefix(label),
    INVITES_HTTP_PORT: '0',
    OUTBOX_POLL_MS: '200',
    RESEND_COOLDOWN_SECONDS: '0',
    INVITE_RATE_PER_HOUR: '0',
    RECIPIENT_INVITES_PER_DAY: '0',
    INVITER_INVITES_PER_DAY: '0',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  return { env, db };
}

/** Deletes the streams of a test prefix. */
export async function deleteStreams(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const names = natsNames(prefix);
  for (const stream of [names.inviteStream, names.notificationStream]) await jsm.streams.delete(stream).catch(() => {});
}

/** Starts the invites service in this process on a database and NATS prefix of its own. */
export async function startTestInvites(label: string, overrides: Record<string, string> = {}): Promise<TestInvites> {
  const { env, db } = await isolatedEnv(label, overrides);
  const config = loadInvitesConfig(env);
  const app = await startInvites(config, createLogger(`invites-${label}`, env.LOG_LEVEL));
  const nc = await connect({ servers: config.NATS_URL, name: `test-${label}` });
  const client = createInvitesClient(nc, natsNames(config.NATS_PREFIX));
  const em = () => app.domain.orm.em.fork() as EntityManager;
  return {
    app,
    config,
    nc,
    client,
    em,
    sql: (query, params = []) => em().execute(query, params),
    env,
    async close() {
      await app.stop();
      await deleteStreams(nc, config.NATS_PREFIX);
      await nc.drain();
      await db.drop();
    },
  };
}

/** An operator context for calling domain functions directly. */
export function operatorContext(t: TestInvites): Context {
  return { domain: t.app.domain, em: t.em(), actor: { kind: 'operator' }, traceparent: undefined };
}

let counter = 0;
/** A unique email for this run. */
export function email(name = 'user'): string {
  counter += 1;
  return `${name}.${counter}.${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/** Extracts the token of an accept link. */
export function tokenOf(acceptUrl: string): string {
  return new URLSearchParams(new URL(acceptUrl).hash.slice(1)).get('token') ?? '';
}

const proofs = createAddressProofs(developmentSecrets.TOKEN_ENCRYPTION_KEY);

/**
 * The address proof of `token` as the notifier puts it in the emailed link (the test
 * services run with the development key): what the invitee who got the email holds,
 * and the inviter's copy of the link lacks.
 */
export function emailedProof(token: string): string {
  return proofs.proofOf(token);
}

/** The newest code emailed for an invite, read from the outbox and opened as the notifier opens it. */
export async function codeSentFor(t: TestInvites, inviteId: string): Promise<string> {
  const [row] = await t.sql<{ payload: AddressCodeEvent }>(
    `select payload from outbox where payload->>'type' = 'invite.address-code' and payload->>'inviteId' = ? order by created_at desc, id desc limit 1`,
    [inviteId],
  );
  if (!row) throw new Error(`no code was sent for invite ${inviteId}`);
  return t.app.domain.cipher.decrypt(row.payload.encryptedCode, sealedAs.addressCode(inviteId));
}

/** The token of the newest password reset link emailed to `address`, read from the outbox and opened as the notifier opens it. */
export async function resetTokenSentTo(t: TestInvites, address: string): Promise<string> {
  const [row] = await t.sql<{ payload: PasswordResetEvent }>(
    `select payload from outbox where payload->>'type' = 'account.password-reset' and payload->>'email' = ? order by created_at desc, id desc limit 1`,
    [address.toLowerCase()],
  );
  if (!row) throw new Error(`no password reset link was sent to ${address}`);
  return t.app.domain.cipher.decrypt(row.payload.encryptedToken, sealedAs.passwordReset(row.payload.userId));
}

const password = 'correct horse battery staple';

export interface OrgWithOwner {
  orgId: string;
  owner: TokenPair;
  ownerEmail: string;
}

/** Creates an org whose owner has accepted the bootstrap invite and is signed in. */
export async function orgWithOwner(t: TestInvites, seatLimit = 10, name = 'Acme'): Promise<OrgWithOwner> {
  const ownerEmail = email('owner');
  const created = await createOrg(operatorContext(t), { name, seatLimit, ownerEmail });
  // The operator's link carries the address proof: the operator vouches for the owner's address.
  const link = new URLSearchParams(new URL(created.ownerInvite.acceptUrl).hash.slice(1));
  const accepted = await t.client.call('invite.accept', {
    token: link.get('token')!,
    proof: link.get('proof')!,
    name: 'Olivia Owner',
    username: `owner${Math.random().toString(36).slice(2, 10)}`,
    password,
  });
  const owner = await t.client.call('auth.login', { email: ownerEmail, password });
  return { orgId: created.orgId, owner: { ...owner, user: accepted.user }, ownerEmail };
}

/** Invites `who` with `role` as `inviter` and accepts as a new account; returns the member's session. */
export async function addMember(t: TestInvites, org: OrgWithOwner, role: Role, inviter: TokenPair = org.owner, who = email(role)) {
  const invite: NewInvite = { email: who, role };
  const created = await t.client.call('invite.create', { orgId: org.orgId, invite }, { accessToken: inviter.accessToken });
  const token = tokenOf(created.acceptUrl);
  await t.client.call('invite.accept', {
    token,
    proof: emailedProof(token),
    name: `${role} person`,
    username: `${role}${Math.random().toString(36).slice(2, 10)}`,
    password,
  });
  return t.client.call('auth.login', { email: who, password });
}

export { password };
