import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { eventually, notifierEnv, startTestNotifier } from './support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './support/smtp-mailbox.ts';
import { email, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from '../../invites/test/harness.ts';

/**
 * The notifier beside the real invites service (PostgreSQL, outbox relay, results
 * consumer) on one NATS prefix: an invite created through the service arrives by
 * email with the link the API returned, and invite.get shows the delivery as sent.
 */
let t: TestInvites;
let org: OrgWithOwner;
let smtp: SmtpMailbox;
let app: NotifierApp;

beforeAll(async () => {
  t = await startTestInvites('notifierint', { LOG_LEVEL: 'error' });
  smtp = await startSmtpMailbox();
  ({ app } = await startTestNotifier(
    notifierEnv('notifierint', {
      NATS_PREFIX: t.config.NATS_PREFIX,
      APP_BASE_URL: t.config.APP_BASE_URL,
      TOKEN_ENCRYPTION_KEY: t.config.TOKEN_ENCRYPTION_KEY,
      SMTP_URL: smtp.url,
      LOG_LEVEL: 'error',
    }),
  ));
  org = await orgWithOwner(t, 10, 'Acme <Labs>');
});

afterAll(async () => {
  await app?.stop();
  await t?.close(); // deletes the prefix's streams
  const { destroyStores } = await import('../src/stores.ts');
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: t.config.NATS_URL });
  await destroyStores(nc, t.config.NATS_PREFIX);
  await nc.drain();
  await smtp?.close();
});

describe('notifier with the invites service', () => {
  it('delivers the link the API returned, and invite.get shows the email as sent', async () => {
    const to = email('invitee');
    const reply = await t.client.call(
      'invite.create',
      { orgId: org.orgId, invite: { email: to, role: 'member', locale: 'es', message: 'Hola <b>equipo</b>' } },
      { accessToken: org.owner.accessToken },
    );
    const [copy] = await eventually(() => (smtp.deliveredTo(to).length ? smtp.deliveredTo(to) : undefined), 30_000, 'the email');
    expect(copy!.parsed.text).toContain(reply.acceptUrl);
    expect(copy!.parsed.html).toContain('Acme &lt;Labs&gt;');
    expect(copy!.parsed.html).toContain('Hola &lt;b&gt;equipo&lt;/b&gt;');
    expect(copy!.parsed.subject).toContain('te invitó a unirte a Acme <Labs>');

    const invite = await eventually(
      async () => {
        const view = await t.client.call('invite.get', { orgId: org.orgId, inviteId: reply.invite.id }, { accessToken: org.owner.accessToken });
        return view.delivery.email.status === 'sent' ? view : undefined;
      },
      30_000,
      'email delivery recorded as sent',
    );
    expect(invite.delivery.email).toMatchObject({ status: 'sent', attempts: 1, providerMessageId: copy!.messageId, lastError: null });
    expect(smtp.deliveredTo(to)).toHaveLength(1);
  });
});
