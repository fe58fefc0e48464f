import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitDeliveries, injectFaults, keepBooks, summaryLine, type Fault } from './support/chaos-run.ts';
import { sleep, startChaosStack, type ChaosStack } from './support/chaos-stack.ts';
import { startInviteLoad } from './support/invite-load.ts';

/**
 * Issue 12, scenario 1: invites created over HTTP at 16 in flight while, one after
 * another, each service is SIGKILLed (and started again 2 s later), the nats-server is
 * SIGKILLed and started again on the same store, and PostgreSQL is stopped immediately
 * and started again. CI creates 600; `npm run chaos` the full 2,000.
 */
const full = process.env.CHAOS_FULL === '1';
const total = full ? 2000 : 600;
const inFlight = 16;
/** The load spans every fault: about 40 s in CI, 50 s in the full run, plus the outages. */
const ratePerSecond = full ? 40 : 15;

let stack: ChaosStack | undefined;

beforeAll(async () => {
  stack = await startChaosStack({ postgresHost: '127.0.0.2', natsHosts: ['127.0.0.3'] });
  await stack.start();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

describe('chaos: every process and server restarted under load', () => {
  it(`creates ${total} invites and delivers each once through kills of every service, nats-server and PostgreSQL`, { timeout: (full ? 20 : 8) * 60_000 }, async () => {
    const s = stack!;
    const log = (line: string) => console.info(`[restarts] ${line}`);
    const org = await s.createOrg('restarts');
    const load = startInviteLoad({ base: s.base, orgId: org.orgId, accessToken: org.accessToken, total, inFlight, ratePerSecond, tag: 'restarts' });
    const nats = s.nats.nodes[0]!;
    const faults: Fault[] = [
      { name: 'gateway', inject: () => s.kill('gateway') },
      { name: 'invites', inject: () => s.kill('invites') },
      { name: 'notifier', inject: () => s.kill('notifier') },
      {
        name: 'nats-server',
        inject: async () => {
          await nats.kill();
          await sleep(2000);
          await nats.start();
        },
      },
      {
        name: 'postgres',
        inject: async () => {
          await s.postgres.stopImmediately();
          await s.postgres.start();
        },
      },
    ];
    const started = performance.now();
    const records = await injectFaults(s, load, total, faults, log);
    const outcomes = await load.done;
    const loadSeconds = (performance.now() - started) / 1000;
    const deliverySeconds = await awaitDeliveries(s, org.orgId, 180_000);
    // Anything sent twice would arrive within a few seconds of the rest.
    await sleep(3000);
    const books = await keepBooks(s, org.orgId, org.accessToken, outcomes);
    const readiness = await s.readiness();
    console.info(summaryLine('restarts', books, records, { 'load s': loadSeconds.toFixed(1), 'emails drained s': deliverySeconds.toFixed(1), 'republished by the reconciler': s.republished() }));
    log(`answers: ${JSON.stringify(books.answers)}`);
    if (books.unacknowledged.length) log(`unacknowledged: ${JSON.stringify(books.unacknowledged.slice(0, 10))}`);

    log(`errors logged: ${JSON.stringify(s.errorsLogged())}`);

    expect(s.unplannedExits.map((e) => `${e.service} exited (${e.signal ?? e.code}):\n${e.output}`)).toEqual([]);
    expect(readiness).toEqual({ gateway: 200, invites: 200, notifier: 200 });
    expect(records.filter((r) => !r.duringLoad).map((r) => r.name)).toEqual([]);
    expect(records).toHaveLength(faults.length);
    expect(books.lostWrites).toBe(0);
    expect(books.duplicateInvites).toBe(0);
    expect(books.unacknowledged).toEqual([]);
    expect(books.acknowledged).toBe(total);
    expect(books.created).toBe(total);
    expect(books.lostEmails).toBe(0);
    expect(books.duplicateEmails).toBe(0);
    expect(books.strayEmails).toBe(0);
    expect(books.apiDisagreements).toBe(0);
  });
});
