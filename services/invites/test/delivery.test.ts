import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type DeliveryResultEvent, type InviteView } from '@invite/contracts';
import { email, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('delivery', { RECONCILE_AFTER_SECONDS: '1', LOG_LEVEL: 'error' });
  // The tests run the reconciler themselves, at the moments they choose.
  await t.app.reconciler.stop();
  org = await orgWithOwner(t, 100);
});
afterAll(() => t?.close());

/** Waits until `check` returns a truthy value, polling; fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createInvite(): Promise<InviteView> {
  const reply = await t.client.call(
    'invite.create',
    { orgId: org.orgId, invite: { email: email('delivery'), role: 'member' } },
    { accessToken: org.owner.accessToken },
  );
  return reply.invite;
}

function getInvite(inviteId: string): Promise<InviteView> {
  return t.client.call('invite.get', { orgId: org.orgId, inviteId }, { accessToken: org.owner.accessToken });
}

/** Publishes a delivery result the way the notifier does: on NOTIFICATIONS, msgID = event id. */
async function publishResult(
  invite: InviteView,
  outcome: 'sent' | 'failed' | 'dead',
  fields: Partial<DeliveryResultEvent> = {},
): Promise<DeliveryResultEvent> {
  const event: DeliveryResultEvent = {
    id: uuidv7(),
    type: `delivery.${outcome}`,
    occurredAt: new Date().toISOString(),
    orgId: invite.orgId,
    inviteId: invite.id,
    channel: 'email',
    tokenVersion: invite.tokenVersion,
    attempt: 1,
    provider: 'smtp',
    ...(outcome === 'sent' ? { providerMessageId: `<${uuidv7()}@smtp.example.test>` } : { error: 'mailbox temporarily unavailable' }),
    ...fields,
  };
  await jetstream(t.nc).publish(t.app.domain.names.notificationEvent(outcome), JSON.stringify(event), { msgID: event.id });
  return event;
}

/** Results the consumer has processed and found stale (an older token version, or a downgrade). */
async function staleResults(): Promise<number> {
  const metric = await t.app.metrics.deliveryResults.get();
  return metric.values.find((v) => v.labels.channel === 'email' && v.labels.outcome === 'stale')?.value ?? 0;
}

describe('delivery results from NOTIFICATIONS', () => {
  it('records a sent email with its provider message id', async () => {
    const invite = await createInvite();
    expect(invite.delivery.email.status).toBe('queued');
    const result = await publishResult(invite, 'sent', { attempt: 2 });
    const seen = await eventually('email sent', async () => {
      const current = await getInvite(invite.id);
      return current.delivery.email.status === 'sent' ? current : undefined;
    });
    expect(seen.delivery.email).toEqual({
      status: 'sent',
      attempts: 2,
      lastError: null,
      sentAt: result.occurredAt,
      providerMessageId: result.providerMessageId,
    });
    expect(seen.delivery.sms.status).toBe('skipped');
  });

  it('does not downgrade sent with a later failed', async () => {
    const invite = await createInvite();
    const sent = await publishResult(invite, 'sent');
    await eventually('email sent', async () => (await getInvite(invite.id)).delivery.email.status === 'sent');

    const staleBefore = await staleResults();
    await publishResult(invite, 'failed', { attempt: 2, error: 'connection reset' });
    await eventually('the failed result to be processed', async () => (await staleResults()) > staleBefore);
    const after = await getInvite(invite.id);
    expect(after.delivery.email).toMatchObject({ status: 'sent', providerMessageId: sent.providerMessageId, lastError: null });
  });

  it('ignores a result for an older token version after a resend', async () => {
    const invite = await createInvite();
    const resent = await t.client.call('invite.resend', { orgId: org.orgId, inviteId: invite.id }, { accessToken: org.owner.accessToken });
    expect(resent.invite.tokenVersion).toBe(2);

    const staleBefore = await staleResults();
    await publishResult(invite, 'sent', { tokenVersion: 1 });
    await eventually('the stale result to be processed', async () => (await staleResults()) > staleBefore);
    const after = await getInvite(invite.id);
    expect(after.delivery.email).toMatchObject({ status: 'queued', providerMessageId: null, sentAt: null });

    // The current version's result is recorded.
    const current = await publishResult(resent.invite, 'sent');
    const seen = await eventually('version 2 sent', async () => {
      const view = await getInvite(invite.id);
      return view.delivery.email.status === 'sent' ? view : undefined;
    });
    expect(seen.delivery.email.providerMessageId).toBe(current.providerMessageId);
  });

  it('records failed, then dead with the last error', async () => {
    const invite = await createInvite();
    await publishResult(invite, 'failed', { attempt: 1, error: '451 try again later' });
    const failed = await eventually('email failed', async () => {
      const view = await getInvite(invite.id);
      return view.delivery.email.status === 'failed' ? view : undefined;
    });
    expect(failed.delivery.email).toMatchObject({ attempts: 1, lastError: '451 try again later', sentAt: null });

    await publishResult(invite, 'dead', { attempt: 5, error: '550 mailbox unavailable' });
    const dead = await eventually('email dead', async () => {
      const view = await getInvite(invite.id);
      return view.delivery.email.status === 'dead' ? view : undefined;
    });
    expect(dead.delivery.email).toMatchObject({ status: 'dead', attempts: 5, lastError: '550 mailbox unavailable', sentAt: null });

    // A late retry report does not bring a dead channel back to failed.
    const staleBefore = await staleResults();
    await publishResult(invite, 'failed', { attempt: 4, error: 'late' });
    await eventually('the late failed result to be processed', async () => (await staleResults()) > staleBefore);
    expect((await getInvite(invite.id)).delivery.email).toMatchObject({ status: 'dead', lastError: '550 mailbox unavailable' });
  });
});

interface OutboxRow {
  id: string;
  subject: string;
  payload: { type: string; inviteId: string; redelivery?: boolean; channels: string[]; tokenVersion: number };
}

function outboxOf(inviteId: string): Promise<OutboxRow[]> {
  return t.sql<OutboxRow>(`select id, subject, payload from outbox where payload->>'inviteId' = ? order by created_at, id`, [inviteId]);
}

/** When the invite's email state last changed (raw SQL gives the timestamp as text). */
async function emailUpdatedAt(inviteId: string): Promise<Date> {
  const [row] = await t.sql<{ email_updated_at: string | Date }>(`select email_updated_at from invites where id = ?`, [inviteId]);
  return new Date(row!.email_updated_at);
}

/** Makes the invite's email state an hour old, as if no result had arrived since. */
async function age(inviteId: string): Promise<Date> {
  await t.sql(`update invites set email_updated_at = now() - interval '1 hour' where id = ?`, [inviteId]);
  return emailUpdatedAt(inviteId);
}

describe('delivery reconciler', () => {
  it('re-publishes an email still unconfirmed after the configured time, through the outbox', async () => {
    const invite = await createInvite();
    const before = await age(invite.id);
    expect(await outboxOf(invite.id)).toHaveLength(1);

    expect(await t.app.reconciler.reconcile()).toBeGreaterThanOrEqual(1);

    const rows = await outboxOf(invite.id);
    expect(rows).toHaveLength(2);
    const again = rows[1]!;
    expect(again.subject).toBe(t.app.domain.names.inviteEvent('created'));
    expect(again.payload).toMatchObject({ type: 'invite.created', inviteId: invite.id, redelivery: true, channels: ['email'], tokenVersion: 1 });
    expect(again.id).not.toBe(rows[0]!.id);
    expect(again.payload).toHaveProperty('encryptedToken');
    expect((await emailUpdatedAt(invite.id)).getTime()).toBeGreaterThan(before.getTime() + 30 * 60_000);
    expect((await getInvite(invite.id)).delivery.email.status).toBe('queued');

  });

  it('re-publishes a resent invite as invite.resent with its current token version', async () => {
    const invite = await createInvite();
    await t.client.call('invite.resend', { orgId: org.orgId, inviteId: invite.id }, { accessToken: org.owner.accessToken });
    await age(invite.id);
    await t.app.reconciler.reconcile();
    const rows = await outboxOf(invite.id);
    expect(rows.map((r) => r.payload.type)).toEqual(['invite.created', 'invite.resent', 'invite.resent']);
    expect(rows[2]!.payload).toMatchObject({ redelivery: true, tokenVersion: 2, channels: ['email'] });
  });

  it('does not re-publish an invite whose email was sent', async () => {
    const invite = await createInvite();
    await publishResult(invite, 'sent');
    await eventually('email sent', async () => (await getInvite(invite.id)).delivery.email.status === 'sent');
    await age(invite.id);
    const failedInvite = await createInvite();
    await publishResult(failedInvite, 'failed');
    await eventually('email failed', async () => (await getInvite(failedInvite.id)).delivery.email.status === 'failed');
    await age(failedInvite.id);

    await t.app.reconciler.reconcile();

    expect((await outboxOf(invite.id)).map((r) => r.payload.type)).toEqual(['invite.created']);
    // A failed channel, by contrast, is retried.
    const retried = await outboxOf(failedInvite.id);
    expect(retried).toHaveLength(2);
    expect(retried[1]!.payload).toMatchObject({ redelivery: true, channels: ['email'] });
  });

  it('does not re-publish a withdrawn invite', async () => {
    const invite = await createInvite();
    await t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: invite.id }, { accessToken: org.owner.accessToken });
    await age(invite.id);
    await t.app.reconciler.reconcile();
    expect((await outboxOf(invite.id)).map((r) => r.payload.type)).toEqual(['invite.created', 'invite.withdrawn']);
  });
});
