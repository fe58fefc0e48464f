import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '@invite/contracts';
import type { NotifierApp } from '../src/app.ts';
import { deadLettersCommand } from '../src/dead-letters.command.ts';
import type { DeadLetterSummary, ReplayReport } from '../src/dead-letters.ts';
import { createTestBus, eventually, notifierEnv, startTestNotifier, type TestBus } from './support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './support/smtp-mailbox.ts';

/** Dead letters as an operator sees them: `npm run admin -- dead-letters list|replay`. */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const rejections = new Map<string, number>();
const tempFailures = new Set<string>();

let smtp: SmtpMailbox;
let bus: TestBus;
let app: NotifierApp;
let env: Record<string, string>;

beforeAll(async () => {
  // Each address is refused (550) this many times, then accepted: the operator fixed it.
  smtp = await startSmtpMailbox({
    rcpt: (address, n) =>
      tempFailures.has(address)
        ? { code: 452, message: 'Mailbox full, try later' }
        : n <= (rejections.get(address) ?? 0)
          ? { code: 550, message: 'Mailbox unavailable' }
          : undefined,
  });
  env = notifierEnv('deadletters', { SMTP_URL: smtp.url, NOTIFIER_MAX_ATTEMPTS: '2' });
  const started = await startTestNotifier(env);
  app = started.app;
  bus = await createTestBus(started.config);
});

afterAll(async () => {
  await app?.stop();
  await bus?.close();
  await smtp?.close();
});

const list = async () => ((await deadLettersCommand(['list'], env)) as { deadLetters: DeadLetterSummary[] }).deadLetters;
const types = async (inviteId: string) => (await bus.resultsFor(inviteId)).map((r) => `${r.type}#${r.attempt}@v${r.tokenVersion}`);

describe('dead letters', () => {
  it('lists a dead delivery and replays it by id, once', async () => {
    rejections.set('bounce@example.test', 1);
    const { event } = await bus.publishInvite({ email: 'bounce@example.test' });
    await eventually(async () => (await types(event.inviteId)).includes('delivery.dead#1@v1'));
    const id = `${event.inviteId}.1.email`;

    const listed = await list();
    expect(listed).toContainEqual(expect.objectContaining({ id, inviteId: event.inviteId, channel: 'email', tokenVersion: 1, attempts: 1, recipient: 'bounce@example.test' }));
    expect(JSON.stringify(listed)).not.toContain(event.encryptedToken);

    // The same through the admin CLI, as an operator runs it.
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/admin.ts', 'dead-letters', 'list'], { cwd: root, env: { ...process.env, ...env } });
    expect((JSON.parse(stdout) as { deadLetters: { id: string }[] }).deadLetters.map((l) => l.id)).toContain(id);

    const report = (await deadLettersCommand(['replay', '--id', id], env)) as ReplayReport;
    expect(report.replayed.map((r) => r.id)).toEqual([id]);
    await eventually(() => smtp.deliveredTo('bounce@example.test').length === 1);
    await eventually(async () => (await types(event.inviteId)).includes('delivery.sent#1@v1'));
    expect((await list()).map((l) => l.id)).not.toContain(id);

    // Replaying again finds nothing: no second send.
    const again = await deadLettersCommand(['replay', '--id', id], env).catch((error: unknown) => error);
    expect(isDomainError(again, 'NOT_FOUND')).toBe(true);
    expect(smtp.deliveredTo('bounce@example.test')).toHaveLength(1);
  });

  it('replay --all skips a letter superseded by a newer token version', async () => {
    rejections.set('moved@example.test', 2);
    const v1 = await bus.publishInvite({ email: 'moved@example.test' });
    await eventually(async () => (await types(v1.event.inviteId)).includes('delivery.dead#1@v1'));
    const v2 = await bus.publishInvite({ email: 'moved@example.test', inviteId: v1.event.inviteId, tokenVersion: 2, type: 'invite.resent' });
    await eventually(async () => (await types(v1.event.inviteId)).includes('delivery.dead#1@v2'));

    const report = (await deadLettersCommand(['replay', '--all'], env)) as ReplayReport;
    expect(report.skipped).toContainEqual({ id: `${v1.event.inviteId}.1.email`, reason: 'superseded by token version 2' });
    expect(report.replayed.map((r) => r.id)).toContain(`${v1.event.inviteId}.2.email`);
    await eventually(() => smtp.deliveredTo('moved@example.test').length === 1);
    expect(smtp.deliveredTo('moved@example.test')[0]!.parsed.text).toContain(v2.link);
  });

  it('gives up after NOTIFIER_MAX_ATTEMPTS temporary failures and dead-letters the delivery', async () => {
    tempFailures.add('full@example.test');
    const { event } = await bus.publishInvite({ email: 'full@example.test' });
    await eventually(async () => (await types(event.inviteId)).includes('delivery.dead#2@v1'));
    expect(await types(event.inviteId)).toEqual(['delivery.failed#1@v1', 'delivery.dead#2@v1']);
    const dead = (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.dead');
    expect(dead?.error).toMatch(/^gave up after 2 attempts: 452 /);
    expect((await list()).map((l) => l.id)).toContain(`${event.inviteId}.1.email`);
  });

  it('rejects a replay without --id or --all', async () => {
    const error = await deadLettersCommand(['replay'], env).catch((e: unknown) => e);
    expect(isDomainError(error, 'VALIDATION_FAILED')).toBe(true);
  });
});
