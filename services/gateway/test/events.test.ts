import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import pg from 'pg';
import { uuidv7, type ConsoleEvent, type DeliveryResultEvent, type InviteView, type InviteWithLink, type TokenPair } from '@invite/contracts';
import { addMember, email, orgWithOwner, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { extraGateway, type ExtraGateway } from './support.ts';

/**
 * GET /v1/orgs/:orgId/events on a real port, read with fetch and a stream reader as the
 * console does: each admin sees only their own org's events, never a token.
 */
let g: TestGateway;
let origin: string;
let a: OrgWithOwner;
let b: OrgWithOwner;
let adminB: TokenPair;
let memberA: TokenPair;

beforeAll(async () => {
  g = await startTestGateway('gwevents', { SSE_HEARTBEAT_MS: '200', SSE_RECHECK_MS: '300', SSE_MAX_STREAMS: '4' });
  await g.app.listen({ port: 0, host: '127.0.0.1' });
  const address = g.app.server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  a = await orgWithOwner(g.invites, 50, 'Events A');
  b = await orgWithOwner(g.invites, 50, 'Events B');
  adminB = await addMember(g.invites, b, 'admin');
  memberA = await addMember(g.invites, a, 'member');
});
afterAll(() => g?.close());

interface Frame {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** An open event stream: its raw text and its frames so far, filled in the background. */
async function openStream(orgId: string, token: string, at = origin) {
  const controller = new AbortController();
  const res = await fetch(`${at}/v1/orgs/${orgId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const stream = { res, raw: '', frames: [] as Frame[], ended: false, close: () => controller.abort() };
  if (res.status !== 200) return stream;
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        stream.raw += text;
        buffer += text;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon) as 'event' | 'id' | 'data' | 'retry';
              frame[field] = line.slice(colon + 1).replace(/^ /, '');
            }
          }
          stream.frames.push(frame);
        }
      }
    } catch {
      // aborted by the test
    }
    stream.ended = true;
  })();
  return stream;
}
type Stream = Awaited<ReturnType<typeof openStream>>;

const eventsOf = (s: Stream): ConsoleEvent[] => s.frames.filter((f) => f.event === 'invite').map((f) => JSON.parse(f.data!) as ConsoleEvent);

async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function invite(org: OrgWithOwner, token: string): Promise<InviteWithLink> {
  const res = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: { authorization: `Bearer ${token}` }, payload: { email: email('live'), role: 'member' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<InviteWithLink>();
}

/** A delivery result as the notifier publishes it. */
async function publishResult(created: InviteWithLink, type: DeliveryResultEvent['type']): Promise<DeliveryResultEvent> {
  const event: DeliveryResultEvent = {
    id: uuidv7(),
    type,
    occurredAt: new Date().toISOString(),
    orgId: created.invite.orgId,
    inviteId: created.invite.id,
    channel: 'email',
    tokenVersion: 1,
    attempt: 1,
    provider: 'smtp',
    error: type === 'delivery.sent' ? null : '451 try later',
  };
  await jetstream(g.invites.nc).publish(g.invites.app.domain.names.notificationEvent(type.slice(9) as 'sent'), JSON.stringify(event), { msgID: event.id });
  return event;
}

describe('GET /v1/orgs/:orgId/events', () => {
  it("streams each org's events to that org's admins only, as ConsoleEvents without tokens or addresses", async () => {
    const streamA = await openStream(a.orgId, a.owner.accessToken);
    const streamB = await openStream(b.orgId, adminB.accessToken);
    try {
      for (const s of [streamA, streamB]) {
        expect(s.res.status).toBe(200);
        expect(s.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        expect(s.res.headers.get('cache-control')).toContain('no-store');
        expect(s.res.headers.get('x-request-id')).toBeTruthy();
        await eventually('the retry hint', () => s.frames.find((f) => f.retry));
      }

      const inA = await invite(a, a.owner.accessToken);
      const inB = await invite(b, adminB.accessToken);
      const sent = await publishResult(inA, 'delivery.sent');
      const failed = await publishResult(inB, 'delivery.failed');
      const withdrawn = await g.app.inject({ method: 'DELETE', url: `/v1/orgs/${b.orgId}/invites/${inB.invite.id}`, headers: { authorization: `Bearer ${adminB.accessToken}` } });
      expect(withdrawn.statusCode).toBe(200);

      const seenA = await eventually('A: created and sent', () => {
        const e = eventsOf(streamA);
        return e.some((x) => x.type === 'delivery.sent') && e.some((x) => x.type === 'invite.created') && e;
      });
      const seenB = await eventually('B: created, failed, withdrawn', () => {
        const e = eventsOf(streamB);
        return e.some((x) => x.type === 'invite.withdrawn') && e.some((x) => x.type === 'delivery.failed') && e;
      });

      expect(seenA.find((e) => e.type === 'invite.created')).toMatchObject({ orgId: a.orgId, inviteId: inA.invite.id, status: 'pending', role: 'member' });
      expect(seenA.find((e) => e.type === 'delivery.sent')).toEqual({
        id: sent.id,
        type: 'delivery.sent',
        orgId: a.orgId,
        inviteId: inA.invite.id,
        occurredAt: sent.occurredAt,
        channel: 'email',
        attempt: 1,
        error: null,
      });
      expect(seenB.find((e) => e.type === 'delivery.failed')).toMatchObject({ id: failed.id, error: '451 try later' });
      expect(seenB.find((e) => e.type === 'invite.withdrawn')).toMatchObject({ inviteId: inB.invite.id, status: 'withdrawn' });
      // Each stream holds its own org's events only.
      expect(seenA.every((e) => e.orgId === a.orgId)).toBe(true);
      expect(seenB.every((e) => e.orgId === b.orgId)).toBe(true);
      expect(seenA.some((e) => e.inviteId === inB.invite.id)).toBe(false);
      // Frames name the event and carry its id; nothing secret or personal travels.
      for (const s of [streamA, streamB]) {
        for (const f of s.frames.filter((x) => x.event === 'invite')) expect(f.id).toBe((JSON.parse(f.data!) as ConsoleEvent).id);
        expect(s.raw).not.toContain('encryptedToken');
        expect(s.raw).not.toMatch(/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
        expect(s.raw).not.toContain('@');
      }
      await eventually('a heartbeat', () => streamA.frames.find((f) => f.comment === 'heartbeat'));
    } finally {
      streamA.close();
      streamB.close();
    }
  });

  it('tells of a delivery result only once the invite shows it, so a re-read on the event is never stale', async () => {
    const stream = await openStream(a.orgId, a.owner.accessToken);
    const held = new pg.Client({ connectionString: g.invites.env.DATABASE_URL });
    await held.connect();
    try {
      const created = await invite(a, a.owner.accessToken);
      await eventually('the created event', () => eventsOf(stream).some((e) => e.inviteId === created.invite.id));
      // The invite row is locked: the invites service cannot record the result yet.
      await held.query('begin');
      await held.query('select 1 from invites where id = $1 for update', [created.invite.id]);
      const sent = await publishResult(created, 'delivery.sent');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(eventsOf(stream).some((e) => e.id === sent.id)).toBe(false);
      await held.query('commit');
      await eventually('the sent event', () => eventsOf(stream).some((e) => e.id === sent.id));
      const read = await g.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/invites/${created.invite.id}`, headers: { authorization: `Bearer ${a.owner.accessToken}` } });
      expect(read.json<InviteView>().delivery.email.status).toBe('sent');
    } finally {
      stream.close();
      await held.end();
    }
  });

  it('refuses a member with 403, another org with 404 and no token with 401, as problems', async () => {
    const member = await fetch(`${origin}/v1/orgs/${a.orgId}/events`, { headers: { authorization: `Bearer ${memberA.accessToken}` } });
    expect(member.status).toBe(403);
    expect(member.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await member.json()).toMatchObject({ code: 'FORBIDDEN' });
    const other = await fetch(`${origin}/v1/orgs/${b.orgId}/events`, { headers: { authorization: `Bearer ${a.owner.accessToken}` } });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'NOT_FOUND' });
    const anonymous = await fetch(`${origin}/v1/orgs/${a.orgId}/events`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('ends the stream once the admin loses access', async () => {
    const demoted = await addMember(g.invites, b, 'admin');
    const stream = await openStream(b.orgId, demoted.accessToken);
    expect(stream.res.status).toBe(200);
    await g.invites.sql(`update memberships set role = 'member' where org_id = ? and user_id = ?`, [b.orgId, demoted.user.id]);
    await eventually('the end of the stream', () => stream.ended);
    expect(stream.frames.find((f) => f.event === 'end')).toMatchObject({ data: JSON.stringify({ reason: 'FORBIDDEN' }) });
  });

  it('serves at most SSE_MAX_STREAMS streams, then 503 until one closes', async () => {
    const open = await Promise.all(Array.from({ length: 4 }, () => openStream(a.orgId, a.owner.accessToken)));
    try {
      expect(open.map((s) => s.res.status)).toEqual([200, 200, 200, 200]);
      const refused = await fetch(`${origin}/v1/orgs/${a.orgId}/events`, { headers: { authorization: `Bearer ${a.owner.accessToken}` } });
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      open[0]!.close();
      // The server frees the place when it sees the disconnect; try until it has.
      let next: Stream | undefined;
      for (let i = 0; i < 200 && !next; i++) {
        const attempt = await openStream(a.orgId, a.owner.accessToken);
        if (attempt.res.status === 200) next = attempt;
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(next?.res.status).toBe(200);
      next!.close();
    } finally {
      for (const s of open) s.close();
    }
  });

  it('ends open streams when the gateway closes, and closes promptly', async () => {
    const second = await extraGateway(g.invites.env.NATS_URL!, g.invites.env.NATS_PREFIX!);
    await second.app.listen({ port: 0, host: '127.0.0.1' });
    const address = second.app.server.address();
    const stream = await openStream(a.orgId, a.owner.accessToken, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    expect(stream.res.status).toBe(200);
    await second.close();
    await eventually('the end of the stream', () => stream.ended);
    expect(stream.frames.find((f) => f.event === 'end')).toMatchObject({ data: JSON.stringify({ reason: 'server-closing' }) });
  });
});

describe('caps on live event streams', () => {
  let capped: ExtraGateway;
  let at: string;
  beforeAll(async () => {
    // Another replica of the gateway, with small caps: two streams per user, three per org.
    capped = await extraGateway(g.invites.env.NATS_URL!, g.invites.env.NATS_PREFIX!, { SSE_MAX_STREAMS_PER_USER: '2', SSE_MAX_STREAMS_PER_ORG: '3', SSE_MAX_STREAMS: '100' });
    await capped.app.listen({ port: 0, host: '127.0.0.1' });
    const address = capped.app.server.address();
    at = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => capped?.close());

  it("one user opening streams in a burst gets SSE_MAX_STREAMS_PER_USER of them and 429s, while another org's admin still gets a stream", async () => {
    const burst = await Promise.all(Array.from({ length: 30 }, () => openStream(a.orgId, a.owner.accessToken, at)));
    const open = burst.filter((s) => s.res.status === 200);
    const refused = burst.filter((s) => s.res.status !== 200);
    try {
      expect(open).toHaveLength(2);
      expect(refused.map((s) => s.res.status)).toEqual(Array.from({ length: 28 }, () => 429));
      const problem = (await refused[0]!.res.json()) as { code: string; detail: string; status: number };
      expect(refused[0]!.res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(problem).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(problem.detail).toMatch(/You already have 2 live event streams open.*close one/);
      expect(Number(refused[0]!.res.headers.get('retry-after'))).toBeGreaterThan(0);

      const other = await openStream(b.orgId, adminB.accessToken, at);
      expect(other.res.status).toBe(200);
      other.close();

      // The user's own place comes back when one of its streams ends.
      open[0]!.close();
      let again: Stream | undefined;
      for (let i = 0; i < 200 && !again; i++) {
        const attempt = await openStream(a.orgId, a.owner.accessToken, at);
        if (attempt.res.status === 200) again = attempt;
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(again?.res.status).toBe(200);
      again!.close();
    } finally {
      for (const s of burst) s.close();
    }
    const metrics = await capped.app.inject({ method: 'GET', url: '/metrics' });
    expect(Number(/gateway_rate_limited_total\{rule="events"\} (\d+)/.exec(metrics.body)?.[1])).toBeGreaterThanOrEqual(28);
  });

  it("an organisation's admins together get SSE_MAX_STREAMS_PER_ORG streams, then 429; other orgs are not affected", async () => {
    const admins = [await addMember(g.invites, a, 'admin'), await addMember(g.invites, a, 'admin')];
    const held = [
      await openStream(a.orgId, a.owner.accessToken, at),
      await openStream(a.orgId, a.owner.accessToken, at),
      await openStream(a.orgId, admins[0]!.accessToken, at),
    ];
    try {
      expect(held.map((s) => s.res.status)).toEqual([200, 200, 200]);
      const refused = await openStream(a.orgId, admins[1]!.accessToken, at);
      expect(refused.res.status).toBe(429);
      expect(await refused.res.json()).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringMatching(/This organisation already has 3 live event streams open/) });
      expect(refused.res.headers.get('retry-after')).toMatch(/^\d+$/);
      const other = await openStream(b.orgId, adminB.accessToken, at);
      expect(other.res.status).toBe(200);
      other.close();
    } finally {
      for (const s of held) s.close();
    }
  });
});

describe('a client that stops reading', () => {
  it('is cut off once its unread backlog passes the bound: the connection is dropped with what it held, not kept', async () => {
    const port = new URL(origin).port;
    const connections = () => new Promise<number>((resolve, reject) => g.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    const socket = tcpConnect(Number(port), '127.0.0.1');
    let head = '';
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      const onHead = (chunk: Buffer) => {
        received += chunk.length;
        head += chunk.toString('latin1');
        if (!head.includes('retry: ')) return;
        socket.off('data', onHead);
        socket.off('error', reject);
        resolve();
      };
      socket.on('data', onHead);
      socket.write(`GET /v1/orgs/${a.orgId}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${a.owner.accessToken}\r\n\r\n`);
    });
    try {
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      socket.pause();
      const before = await connections();

      // 48 delivery results of 512 KiB: 24 MiB, far more than the socket buffers and the bound.
      const created = await invite(a, a.owner.accessToken);
      const padding = 'x'.repeat(512 * 1024);
      const published = 48;
      for (let i = 0; i < published; i++) {
        const event: DeliveryResultEvent = {
          id: uuidv7(),
          type: 'delivery.failed',
          occurredAt: new Date().toISOString(),
          orgId: a.orgId,
          inviteId: created.invite.id,
          channel: 'email',
          tokenVersion: 1,
          attempt: i + 1,
          provider: 'smtp',
          error: padding,
        };
        g.invites.nc.publish(g.invites.app.domain.names.deliveryRecorded, JSON.stringify(event));
      }
      await g.invites.nc.flush();
      await eventually('the stalled connection to be dropped', async () => (await connections()) < before, 15_000);

      socket.resume();
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
        });
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
      expect(received).toBeLessThan(published * padding.length);
    } finally {
      socket.destroy();
    }
  });
});
