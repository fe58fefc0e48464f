import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { inject } from 'vitest';
import {
  createAddressProofs,
  createTokenCipher,
  developmentSecrets,
  DeliveryResultEvent,
  ensureStreams,
  InviteIssuedEvent,
  matches,
  natsNames,
  newInviteToken,
  parse,
  type Channel,
  type EmailTemplate,
  type NatsNames,
} from '@invite/contracts';
import { startNotifier, type NotifierApp } from '../../src/app.ts';
import { loadNotifierConfig, type NotifierConfig } from '../../src/config.ts';
import { createLogger } from '@invite/telemetry';
import { destroyStores } from '../../src/stores.ts';
import { testPrefix } from '../../../../tests/support/database.ts';

/** Environment of a notifier isolated for one test file: its own NATS prefix, quick retries. */
export function notifierEnv(label: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    NATS_URL: inject('natsUrl'),
    NATS_PREFIX: testPrefix(label),
    NOTIFIER_HTTP_PORT: '0',
    APP_BASE_URL: 'https://app.example.test',
    SMTP_FROM: 'invites@example.test',
    NOTIFIER_MAX_ATTEMPTS: '5',
    NOTIFIER_BACKOFF_BASE_MS: '200',
    NOTIFIER_BACKOFF_MAX_MS: '2000',
    NOTIFIER_SEND_TIMEOUT_MS: '3000',
    NOTIFIER_ACK_WAIT_MS: '6000',
    NOTIFIER_CONSUMER_INFO_MS: '200',
    TOKEN_ENCRYPTION_KEY: developmentSecrets.TOKEN_ENCRYPTION_KEY,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface InviteInput {
  email?: string;
  phone?: string | null;
  channels?: Channel[];
  locale?: string;
  orgName?: string;
  inviterName?: string | null;
  message?: string | null;
  tokenVersion?: number;
  inviteId?: string;
  redelivery?: boolean;
  type?: 'invite.created' | 'invite.resent';
  /** The organisation's template, as the invites service puts it on the event. */
  template?: EmailTemplate;
}

/** The test's own side of NATS: publishes invite events like the outbox relay, reads results from NOTIFICATIONS. */
export async function createTestBus(config: NotifierConfig) {
  const names = natsNames(config.NATS_PREFIX);
  const nc = await connect({ servers: config.NATS_URL, name: 'notifier-test' });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, names);
  const js = jetstream(nc);
  const cipher = createTokenCipher(config.TOKEN_ENCRYPTION_KEY);
  const proofs = createAddressProofs(config.TOKEN_ENCRYPTION_KEY);
  const results: DeliveryResultEvent[] = [];
  let readUpTo = 0;

  return {
    nc,
    js,
    jsm,
    names,
    /**
     * Publishes an `invites.events.created` (or resent) event and returns it with the
     * plaintext token, the link an SMS carries and the one an email carries (with the
     * token's address proof).
     */
    async publishInvite(input: InviteInput = {}) {
      const inviteId = input.inviteId ?? randomUUID();
      const token = newInviteToken();
      const type = input.type ?? 'invite.created';
      const event = parse(InviteIssuedEvent, {
        id: randomUUID(),
        type,
        occurredAt: new Date().toISOString(),
        orgId: '00000000-0000-4000-8000-000000000001',
        inviteId,
        email: input.email ?? `${inviteId.slice(0, 8)}@example.test`,
        phone: input.phone ?? null,
        role: 'member',
        locale: input.locale ?? 'en',
        message: input.message ?? null,
        orgName: input.orgName ?? 'Acme',
        inviterName: input.inviterName === undefined ? 'Ada Lovelace' : input.inviterName,
        expiresAt: new Date(Date.now() + 48 * 3600_000).toISOString(),
        tokenVersion: input.tokenVersion ?? 1,
        channels: input.channels ?? ['email'],
        encryptedToken: cipher.encrypt(token, inviteId),
        ...(input.redelivery ? { redelivery: true } : {}),
        ...(input.template ? { template: input.template } : {}),
      });
      await js.publish(names.inviteEvent(type === 'invite.created' ? 'created' : 'resent'), JSON.stringify(event), { msgID: event.id });
      const link = `${config.APP_BASE_URL}/invite#token=${token}`;
      return { event, token, link, emailLink: `${link}&proof=${proofs.proofOf(token)}` };
    },
    /** Every delivery result in the NOTIFICATIONS stream so far, in stream order. */
    async results(): Promise<DeliveryResultEvent[]> {
      const info = await jsm.streams.info(names.notificationStream);
      for (let seq = Math.max(readUpTo + 1, info.state.first_seq); seq <= info.state.last_seq; seq++) {
        const stored = await jsm.streams.getMessage(names.notificationStream, { seq });
        const value: unknown = stored?.json();
        if (matches(DeliveryResultEvent, value)) results.push(value);
      }
      readUpTo = Math.max(readUpTo, info.state.last_seq);
      return results;
    },
    async resultsFor(inviteId: string, channel?: Channel) {
      return (await this.results()).filter((r) => r.inviteId === inviteId && (!channel || r.channel === channel));
    },
    async close() {
      await deleteNotifierState(nc, jsm, config.NATS_PREFIX);
      await nc.drain();
    },
  };
}

export type TestBus = Awaited<ReturnType<typeof createTestBus>>;

/** Removes the streams and buckets of a test prefix. */
export async function deleteNotifierState(nc: NatsConnection, jsm: JetStreamManager, prefix: string): Promise<void> {
  const names: NatsNames = natsNames(prefix);
  for (const stream of [names.inviteStream, names.notificationStream]) await jsm.streams.delete(stream).catch(() => {});
  await destroyStores(nc, prefix);
}

/** Starts the notifier in this process, like server.ts does minus the HTTP port. */
export async function startTestNotifier(env: Record<string, string>): Promise<{ app: NotifierApp; config: NotifierConfig }> {
  const config = loadNotifierConfig(env);
  const app = await startNotifier(config, createLogger('notifier-test', env.LOG_LEVEL));
  return { app, config };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export type { JetStreamClient };
