import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNotifierConfig } from '../src/config.ts';
import { createTestBus, eventually, notifierEnv, type TestBus } from './support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './support/smtp-mailbox.ts';

/**
 * Design invariant 8 for the notifier: kill it at any moment, restart it, and every
 * invite still gets its email, once. The notifier runs as a real child process
 * (server.ts) and is killed with SIGKILL from inside the SMTP server while it is
 * accepting the 150th of 500 messages, with up to NOTIFIER_CONCURRENCY others in flight.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const total = 500;
const concurrency = 16;

let smtp: SmtpMailbox;
let bus: TestBus;
let env: Record<string, string>;
let child: ChildProcess | undefined;
let killed = false;
const logs: string[] = [];

function startChild(): ChildProcess {
  const process_ = spawn(process.execPath, ['services/notifier/src/server.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  process_.stdout!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  process_.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  return process_;
}

function exited(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve({ code: p.exitCode, signal: p.signalCode });
  return new Promise((resolve) => p.once('exit', (code, signal) => resolve({ code, signal })));
}

beforeAll(async () => {
  smtp = await startSmtpMailbox({
    data: (_t, n) => {
      if (n === 150 && !killed) {
        killed = true;
        child?.kill('SIGKILL');
      }
      return 'accept';
    },
  });
  env = notifierEnv('crash', {
    SMTP_URL: smtp.url,
    NOTIFIER_CONCURRENCY: String(concurrency),
    NOTIFIER_ACK_WAIT_MS: '3000',
    NOTIFIER_SEND_TIMEOUT_MS: '1500',
    NOTIFIER_MAX_ATTEMPTS: '10',
    LOG_LEVEL: 'info',
  });
  bus = await createTestBus(loadNotifierConfig(env));
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
  await bus?.close();
  await smtp?.close();
});

describe('a notifier killed mid-batch', () => {
  it('delivers every one of 500 invites exactly once after SIGKILL and restart', async () => {
    const invites = [];
    for (let i = 0; i < total; i++) invites.push(await bus.publishInvite({ email: `crash-${i}@example.test` }));

    child = startChild();
    const first = await exited(child);
    expect(first.signal).toBe('SIGKILL');
    const deliveredBeforeKill = smtp.mailbox.size;
    expect(deliveredBeforeKill).toBeGreaterThanOrEqual(149);
    expect(deliveredBeforeKill).toBeLessThan(total);

    child = startChild();
    await eventually(() => smtp.mailbox.size === total, 60_000, `all ${total} emails (have ${smtp.mailbox.size})`);
    await eventually(
      async () => (await bus.jsm.consumers.info(bus.names.inviteStream, bus.names.notifierConsumer)).num_ack_pending === 0,
      30_000,
      'every event acknowledged',
    );

    // Exactly once in the mailbox, for every invite.
    for (const { event } of invites) {
      expect(smtp.deliveredTo(event.email), event.email).toHaveLength(1);
    }
    // A transmission repeats only where the kill fell between the server's 250 and the
    // notifier recording "sent" (at most the sends in flight), and always with the same
    // Message-ID, which the mailbox recognises; nothing was re-sent blindly.
    const repeated = smtp.transmissions.length - total;
    console.info(`crash test: ${deliveredBeforeKill} delivered before SIGKILL, ${repeated} repeated transmission(s) after restart`);
    expect(repeated).toBeGreaterThanOrEqual(0);
    expect(repeated).toBeLessThanOrEqual(concurrency);
    const results = await bus.results();
    const sentInvites = new Set(results.filter((r) => r.type === 'delivery.sent').map((r) => r.inviteId));
    expect(sentInvites.size).toBe(total);
    expect(results.some((r) => r.type === 'delivery.dead')).toBe(false);

    // A SIGTERM now is a clean stop.
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(logs.join('')).toContain('notifier stopping');
  });
});
