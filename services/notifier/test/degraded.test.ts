import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { createTestBus, eventually, notifierEnv, startTestNotifier, type TestBus } from './support/harness.ts';

/** Without SMTP or Twilio the notifier starts, warns, and records the channels as skipped. */
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function start(overrides: Record<string, string>): Promise<{ app: NotifierApp; bus: TestBus }> {
  const { app, config } = await startTestNotifier(notifierEnv('degraded', overrides));
  const bus = await createTestBus(config);
  cleanups.push(async () => {
    await app.stop();
    await bus.close();
  });
  return { app, bus };
}

describe('graceful degradation', () => {
  it('publishes skipped for email and SMS when no provider is configured', async () => {
    const { bus } = await start({});
    const { event } = await bus.publishInvite({ phone: '+447700900009', channels: ['email', 'sms'] });
    const results = await eventually(async () => {
      const r = await bus.resultsFor(event.inviteId);
      return r.length === 2 ? r : undefined;
    });
    expect(results.map((r) => [r.channel, r.type, r.provider]).sort()).toEqual([
      ['email', 'delivery.skipped', 'none'],
      ['sms', 'delivery.skipped', 'none'],
    ]);
    expect(results.find((r) => r.channel === 'email')?.error).toMatch(/SMTP_URL/);
  });

  it('writes the email to the development outbox folder in development', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dev-mail-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { bus } = await start({ NODE_ENV: 'development', NOTIFIER_DEV_OUTBOX_DIR: dir });
    const { event, link } = await bus.publishInvite({ email: 'dev@example.test' });
    const sent = await eventually(async () => (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.sent'));
    expect(sent.provider).toBe('file');
    expect(await readdir(dir)).toEqual([`${event.inviteId}.1.email.eml`]);
    const eml = await readFile(join(dir, `${event.inviteId}.1.email.eml`), 'utf8');
    expect(eml).toContain('To: dev@example.test');
    // Quoted-printable: soft line breaks and `=` as =3D.
    expect(eml.replace(/=\r?\n/g, '').replace(/=3D/g, '=')).toContain(link);
  });
});
