import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitDeliveries, keepBooks, summaryLine } from './support/chaos-run.ts';
import { sleep, startChaosStack, type ChaosStack } from './support/chaos-stack.ts';
import { startInviteLoad, type KeyOutcome } from './support/invite-load.ts';

/**
 * Issue 12, scenario 3: PostgreSQL unavailable for 30 s (`npm run chaos`; 10 s in CI).
 * While it is down, creates at 16 in flight fail fast with 503 and a Retry-After (no
 * request waits past the gateway's deadline); once it is back, work resumes by itself:
 * creates succeed at once and keep succeeding (no pool exhausted by the dead
 * connections), and every invite gets its email.
 */
const full = process.env.CHAOS_FULL === '1';
const outageSeconds = full ? 30 : 10;
const inFlight = 16;
/** The gateway's UPSTREAM_TIMEOUT_MS (its default): no answer may take longer. */
const deadlineMs = 5000;

let stack: ChaosStack | undefined;

beforeAll(async () => {
  stack = await startChaosStack({ postgresHost: '127.0.0.8', natsHosts: ['127.0.0.9'], env: { UPSTREAM_TIMEOUT_MS: String(deadlineMs) } });
  await stack.start();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

interface Probe {
  status: number;
  code?: string;
  retryAfter: string | null;
  ms: number;
}

/** One create, sent once: what the gateway answered, and how fast. */
async function probe(s: ChaosStack, orgId: string, accessToken: string, tag: string): Promise<Probe> {
  const started = performance.now();
  try {
    const response = await fetch(`${s.base}/v1/orgs/${orgId}/invites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}`, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ email: `${tag}.${randomUUID()}@chaos.example.test`, role: 'member' }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json().catch(() => ({}))) as { code?: string };
    return { status: response.status, ...(body.code ? { code: body.code } : {}), retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
  } catch (error) {
    return { status: 0, code: (error as Error).name, retryAfter: null, ms: performance.now() - started };
  }
}

describe('chaos: PostgreSQL unavailable', () => {
  it(`answers 503 with Retry-After within the deadline for ${outageSeconds} s, then resumes by itself`, { timeout: 6 * 60_000 }, async () => {
    const s = stack!;
    const log = (line: string) => console.info(`[postgres-outage] ${line}`);
    const org = await s.createOrg('outage');
    const before = await startInviteLoad({ base: s.base, orgId: org.orgId, accessToken: org.accessToken, total: 100, inFlight, tag: 'before' }).done;

    await s.postgres.stopImmediately();
    const downAt = performance.now();
    log(`PostgreSQL stopped; probing for ${outageSeconds} s at ${inFlight} in flight`);
    const probes: Probe[] = [];
    const invitesReadiness: number[] = [];
    await Promise.all([
      ...Array.from({ length: inFlight }, async () => {
        while (performance.now() - downAt < outageSeconds * 1000) probes.push(await probe(s, org.orgId, org.accessToken, 'outage'));
      }),
      (async () => {
        while (performance.now() - downAt < outageSeconds * 1000) {
          invitesReadiness.push((await s.readiness()).invites);
          await sleep(1000);
        }
      })(),
    ]);
    await s.postgres.start();
    const upAt = performance.now();

    // Back: the first create that succeeds, then a burst at 16 in flight.
    let firstSuccess: number | undefined;
    while (firstSuccess === undefined && performance.now() - upAt < 120_000) {
      const p = await probe(s, org.orgId, org.accessToken, 'recovery');
      if (p.status === 201) firstSuccess = performance.now();
      else await sleep(100);
    }
    const recoverySeconds = ((firstSuccess ?? performance.now()) - upAt) / 1000;
    // Work resumed: the email of the first invite created after the outage went out.
    const firstAfter = await s.sql<{ id: string }>(`select id from invites where org_id = $1 and email like 'recovery.%' order by created_at limit 1`, [org.orgId]);
    let emailResumed: number | undefined;
    while (emailResumed === undefined && performance.now() - upAt < 120_000) {
      if ((await s.mail.mails()).some((m) => m.messageId.startsWith(`<${firstAfter[0]?.id}.`))) emailResumed = performance.now();
      else await sleep(100);
    }
    const emailResumeSeconds = ((emailResumed ?? performance.now()) - upAt) / 1000;
    const afterLoad = startInviteLoad({ base: s.base, orgId: org.orgId, accessToken: org.accessToken, total: 300, inFlight, tag: 'after' });
    const after = await afterLoad.done;
    const readyAgain = await s.ready(60_000);
    const deliverySeconds = await awaitDeliveries(s, org.orgId, 180_000);
    await sleep(2000);

    const outcomes: KeyOutcome[] = [...before, ...after];
    const books = await keepBooks(s, org.orgId, org.accessToken, outcomes);
    const outageRows = await s.sql<{ n: number }>(`select count(*)::int as n from invites where org_id = $1 and email like 'outage.%'`, [org.orgId]);
    const statuses: Record<string, number> = {};
    for (const p of probes) statuses[`${p.status}${p.code ? ` ${p.code}` : ''}`] = (statuses[`${p.status}${p.code ? ` ${p.code}` : ''}`] ?? 0) + 1;
    const slowest = Math.max(...probes.map((p) => p.ms));
    const afterRetries = after.reduce((n, o) => n + o.answers.length - 1, 0);
    console.info(
      summaryLine('postgres-outage', books, [{ name: `postgres down ${outageSeconds}s`, atAcknowledged: before.length, duringLoad: true, recoverySeconds }], {
        'first email after s': emailResumeSeconds.toFixed(1),
        'outage requests': probes.length,
        'slowest outage answer ms': Math.round(slowest),
        'retries after': afterRetries,
        'emails drained s': deliverySeconds.toFixed(1),
        'republished by the reconciler': s.republished(),
      }),
    );
    log(`outage answers: ${JSON.stringify(statuses)}; invites /readyz while down: ${JSON.stringify([...new Set(invitesReadiness)])}; all ready ${readyAgain.toFixed(1)} s after the burst`);

    log(`errors logged: ${JSON.stringify(s.errorsLogged())}`);

    expect(s.unplannedExits.map((e) => `${e.service} exited (${e.signal ?? e.code}):\n${e.output}`)).toEqual([]);
    // Fail fast: every request during the outage is a 503 with Retry-After, well within the deadline.
    expect(probes.length).toBeGreaterThan(inFlight * outageSeconds);
    expect(statuses).toEqual({ '503 SERVICE_UNAVAILABLE': probes.length });
    expect(probes.every((p) => Number(p.retryAfter) >= 1)).toBe(true);
    expect(slowest).toBeLessThan(deadlineMs);
    expect(outageRows[0]!.n).toBe(0);
    expect(invitesReadiness.filter((r) => r === 200)).toEqual([]);
    // Resumes by itself, and the pool serves a burst right after.
    expect(firstSuccess).toBeDefined();
    expect(recoverySeconds).toBeLessThan(15);
    // The outbox relay retried at least every 5 s through the outage (it backed off to 30 s before).
    expect(emailResumed).toBeDefined();
    expect(emailResumeSeconds).toBeLessThan(10);
    expect(after.every((o) => o.final === 201)).toBe(true);
    expect(afterRetries).toBe(0);
    expect(books.lostWrites).toBe(0);
    expect(books.duplicateInvites).toBe(0);
    expect(books.unacknowledged).toEqual([]);
    expect(books.lostEmails).toBe(0);
    expect(books.duplicateEmails).toBe(0);
    expect(books.strayEmails).toBe(0);
    expect(books.apiDisagreements).toBe(0);
    expect(await s.readiness()).toEqual({ gateway: 200, invites: 200, notifier: 200 });
  });
});
