import { createHash } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteWithLink } from '@invite/contracts';
import { email, orgWithOwner, password, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { developmentLoginLimit, loadGatewayConfig } from '../src/config.ts';
import { createKvRateLimiter } from '../src/limits/rate-limiter.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, expectRetryAfter, extraGateway, json, tableCounts, unknownToken, type App, type ExtraGateway } from './support.ts';

/**
 * Rate limits per client (IPv6 per /64), kept in a NATS KV bucket that every gateway
 * replica shares. Each test uses client addresses of its own, so budgets never mix.
 * Nothing here waits or measures time: limits are counted, and a 15-minute window
 * cannot run out during a test of a few seconds (the sliding estimate carries the
 * previous window's count across a window boundary).
 */

const loginLimit = 20;
const tokenLimit = 5;
const fifteenMinutes = 15 * 60;

let g: TestGateway;
let second: ExtraGateway;
let org: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('gwratelimit', { TOKEN_LIMIT_PER_15MIN: String(tokenLimit) });
  expect(g.config.LOGIN_LIMIT_PER_15MIN).toBe(loginLimit);
  // A second replica, built as the server builds it, on its own connection and the same prefix.
  second = await extraGateway(g.invites.env.NATS_URL!, g.config.NATS_PREFIX, { TOKEN_LIMIT_PER_15MIN: String(tokenLimit) });
  org = await orgWithOwner(g.invites, 20, 'Limited');
});

afterAll(async () => {
  await second?.close();
  await g?.close();
});

function login(app: App, ip: string, body: { email: string; password: string } = { email: org.ownerEmail, password: 'a wrong password' }) {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: body, remoteAddress: ip });
}

/** Spends `count` logins of a budget (wrong password: 401, never a session). */
async function spendLogins(count: number, ips: string[], apps: App[] = [g.app]) {
  const remaining: number[] = [];
  for (let n = 0; n < count; n++) {
    const res = await login(apps[n % apps.length]!, ips[n % ips.length]!);
    expectProblem(res, 401, 'INVALID_CREDENTIALS');
    expect(res.headers['ratelimit-limit']).toBe(String(loginLimit));
    remaining.push(Number(res.headers['ratelimit-remaining']));
  }
  return remaining;
}

describe('login: 20 per client per 15 minutes', () => {
  it('the 21st login from one client → 429 RATE_LIMITED with Retry-After, even with the right password; another client is not limited', async () => {
    const ip = '198.51.100.1';
    const remaining = await spendLogins(loginLimit, [ip]);
    // The budget shrinks with every request and is spent by the 20th.
    for (let n = 1; n < remaining.length; n++) expect(remaining[n]).toBeLessThanOrEqual(remaining[n - 1]!);
    expect(remaining.at(-1)).toBe(0);

    const sessions = (await tableCounts(g)).refresh_tokens;
    const limited = await login(g.app, ip, { email: org.ownerEmail, password });
    const body = expectProblem(limited, 429, 'RATE_LIMITED');
    expectRetryAfter(limited, fifteenMinutes);
    expect(body.detail).not.toContain(ip);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect((await tableCounts(g)).refresh_tokens).toBe(sessions); // no sign-in happened

    // Still limited on the next try, and for the same client written as an IPv4-mapped IPv6 address.
    expectProblem(await login(g.app, ip), 429, 'RATE_LIMITED');
    expectProblem(await login(g.app, `::ffff:${ip}`), 429, 'RATE_LIMITED');

    // Another client is not limited.
    expectProblem(await login(g.app, '198.51.100.2'), 401, 'INVALID_CREDENTIALS');
    const ok = await login(g.app, '198.51.100.2', { email: org.ownerEmail, password });
    expect(ok.statusCode, ok.body).toBe(200);

    const metrics = await g.app.inject({ method: 'GET', url: '/metrics' });
    const counted = /gateway_rate_limited_total\{rule="login"\} (\d+)/.exec(metrics.body);
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('counts only the requests it lets through: hammering a limit does not push its end further out', async () => {
    const limiter = await createKvRateLimiter(g.invites.nc, `${g.config.NATS_PREFIX}_limiter_probe`, 60_000);
    const allowed: boolean[] = [];
    for (let n = 0; n < 3; n++) allowed.push((await limiter.hit('probe', 'client', 3, 60_000)).allowed);
    expect(allowed).toEqual([true, true, true]);
    const first = await limiter.hit('probe', 'client', 3, 60_000);
    expect(first.allowed).toBe(false);
    let last = first;
    for (let n = 0; n < 20; n++) last = await limiter.hit('probe', 'client', 3, 60_000);
    expect(last.allowed).toBe(false);
    expect(last.retryAfter).toBeLessThanOrEqual(first.retryAfter);
    // The window's counter holds the three that passed, not the 21 refusals.
    const kv = await new Kvm(g.invites.nc).open(`${g.config.NATS_PREFIX}_limiter_probe`);
    const id = createHash('sha256').update('client').digest('base64url');
    const counters: number[] = [];
    for await (const key of await kv.keys(`probe.*.${id}`)) counters.push(Number((await kv.get(key))?.string()));
    expect(counters.reduce((a, b) => a + b, 0)).toBe(3);
    await kv.destroy();
  });

  it(`allows ${developmentLoginLimit} sign-ins per 15 minutes in development unless LOGIN_LIMIT_PER_15MIN says otherwise`, () => {
    const env = { JWT_PUBLIC_KEY: g.config.JWT_PUBLIC_KEY };
    expect(loadGatewayConfig({ ...env, NODE_ENV: 'development' }).LOGIN_LIMIT_PER_15MIN).toBe(developmentLoginLimit);
    expect(loadGatewayConfig({ ...env, NODE_ENV: 'development', LOGIN_LIMIT_PER_15MIN: '7' }).LOGIN_LIMIT_PER_15MIN).toBe(7);
    expect(loadGatewayConfig({ ...env, NODE_ENV: 'test' }).LOGIN_LIMIT_PER_15MIN).toBe(20);
  });

  it('the budget is shared by two gateway instances: alternating between them, the 21st is still 429', async () => {
    const ip = '198.51.100.10';
    await spendLogins(loginLimit, [ip], [g.app, second.app]); // 10 on each instance
    const onSecond = await login(second.app, ip);
    expectProblem(onSecond, 429, 'RATE_LIMITED');
    expectRetryAfter(onSecond, fifteenMinutes);
    const onFirst = await login(g.app, ip);
    expectProblem(onFirst, 429, 'RATE_LIMITED');
    expectRetryAfter(onFirst, fifteenMinutes);
    // The second instance limits nobody else.
    expectProblem(await login(second.app, '198.51.100.11'), 401, 'INVALID_CREDENTIALS');
  });

  it('IPv6 clients in one /64 share a budget; another /64 does not', async () => {
    const sameNetwork = ['2001:db8:1:2::1', '2001:db8:1:2::ffff'];
    await spendLogins(loginLimit, sameNetwork); // 10 from each address
    expectProblem(await login(g.app, '2001:db8:1:2::1'), 429, 'RATE_LIMITED');
    expectProblem(await login(g.app, '2001:db8:1:2::ffff'), 429, 'RATE_LIMITED');
    expectProblem(await login(g.app, '2001:0db8:0001:0002:abcd:ef01:2345:6789'), 429, 'RATE_LIMITED'); // same /64, written out in full
    expectProblem(await login(second.app, '2001:db8:1:2:0:0:0:42'), 429, 'RATE_LIMITED');
    // The neighbouring /64 is somebody else.
    expectProblem(await login(g.app, '2001:db8:1:3::1'), 401, 'INVALID_CREDENTIALS');
    expectProblem(await login(g.app, '2001:db8:1:2:1::1'), 429, 'RATE_LIMITED'); // still the same /64
  });
});

describe('invite links: lookup, accept and decline share TOKEN_LIMIT_PER_15MIN per client', () => {
  function tokenCall(app: App, path: 'lookup' | 'accept' | 'decline', ip: string, token = unknownToken()) {
    const payload = path === 'accept' ? { token, name: 'Guesser', username: 'guesser', password: 'a long guessing password' } : { token };
    return app.inject({ method: 'POST', url: `/v1/invites/${path}`, payload, remoteAddress: ip });
  }

  it(`after ${tokenLimit} lookups and accepts from one client the next is 429 RATE_LIMITED; another client is not limited`, async () => {
    const ip = '203.0.113.5';
    const paths = ['lookup', 'accept', 'lookup', 'decline', 'accept'] as const;
    expect(paths).toHaveLength(tokenLimit);
    for (const path of paths) {
      const res = await tokenCall(g.app, path, ip);
      expectProblem(res, 404, 'INVITE_NOT_FOUND');
      expect(res.headers['ratelimit-limit']).toBe(String(tokenLimit));
    }
    for (const path of ['lookup', 'accept', 'decline'] as const) {
      const res = await tokenCall(g.app, path, ip);
      expectProblem(res, 429, 'RATE_LIMITED');
      expectRetryAfter(res, fifteenMinutes);
    }
    expectProblem(await tokenCall(g.app, 'lookup', '203.0.113.6'), 404, 'INVITE_NOT_FOUND');
  });

  it('a limited client cannot use even a valid link, and the invite is left untouched; the budget is shared across instances', async () => {
    const res = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(org.owner.accessToken), payload: { email: email('limited'), role: 'member' } });
    expect(res.statusCode).toBe(201);
    const created = json<InviteWithLink>(res);
    const ip = '203.0.113.20';
    for (let n = 0; n < tokenLimit; n++) expectProblem(await tokenCall(n % 2 ? second.app : g.app, 'lookup', ip), 404, 'INVITE_NOT_FOUND');
    expectProblem(await tokenCall(second.app, 'decline', ip, tokenOf(created.acceptUrl)), 429, 'RATE_LIMITED');
    expectProblem(await tokenCall(g.app, 'accept', ip, tokenOf(created.acceptUrl)), 429, 'RATE_LIMITED');
    const [row] = await g.invites.sql<{ status: string }>(`select status from invites where id = ?`, [created.invite.id]);
    expect(row!.status).toBe('pending');
    // From another client the link works.
    const lookup = await tokenCall(g.app, 'lookup', '203.0.113.21', tokenOf(created.acceptUrl));
    expect(lookup.statusCode, lookup.body).toBe(200);
  });
});
