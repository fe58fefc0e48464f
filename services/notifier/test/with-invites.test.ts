import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { eventually } from './support/harness.ts';
import type { SmtpMailbox } from './support/smtp-mailbox.ts';
import { startWithInvites, stopWithInvites } from './support/with-invites.ts';
import { DomainError } from '@invite/contracts';
import { email, password, tokenOf, type OrgWithOwner, type TestInvites } from '../../invites/test/harness.ts';

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
  ({ t, smtp, app, org } = await startWithInvites('notifierint', 'Acme <Labs>'));
});

afterAll(() => stopWithInvites({ t, smtp, app }));

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

  it('emails the link with its address proof: that link creates the account the link from the API reply cannot', async () => {
    const to = email('proven');
    const reply = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: to, role: 'member' } }, { accessToken: org.owner.accessToken });
    const [copy] = await eventually(() => (smtp.deliveredTo(to).length ? smtp.deliveredTo(to) : undefined), 30_000, 'the email');
    const link = /(https?:\/\/\S+\/invite#token=[A-Za-z0-9_-]{43}&proof=[A-Za-z0-9_-]{43})/.exec(copy!.parsed.text ?? '')?.[1];
    expect(link, copy!.parsed.text).toBeDefined();
    expect(link!.startsWith(reply.acceptUrl)).toBe(true);
    expect(reply.acceptUrl).not.toContain('proof=');
    const fragment = new URLSearchParams(new URL(link!).hash.slice(1));
    const fields = { name: 'Proven Person', username: `proven${Date.now()}`, password };
    await expect(t.client.call('invite.accept', { token: tokenOf(reply.acceptUrl), ...fields })).rejects.toMatchObject({ code: 'ADDRESS_NOT_VERIFIED' });
    const accepted = await t.client.call('invite.accept', { token: fragment.get('token')!, proof: fragment.get('proof')!, ...fields });
    expect(accepted.user.email).toBe(to);
  });

  it('emails a code asked for with the link, once; typed back, it proves the address', async () => {
    const to = email('coded');
    const reply = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: to, role: 'member', locale: 'de' } }, { accessToken: org.owner.accessToken });
    await eventually(() => smtp.deliveredTo(to).length === 1, 30_000, 'the invitation');
    const token = tokenOf(reply.acceptUrl);
    await t.client.call('invite.address.send-code', { token });
    const mail = await eventually(() => smtp.deliveredTo(to).find((m) => /Code/.test(m.parsed.subject ?? '')), 30_000, 'the code email');
    const code = /\b([0-9]{6})\b/.exec(mail.parsed.text ?? '')?.[1];
    expect(code, mail.parsed.text).toBeDefined();
    expect(mail.parsed.subject).toBe(`${code} ist Ihr Code für Acme <Labs>`);
    expect(mail.parsed.html).toContain('Acme &lt;Labs&gt;');
    expect(await t.client.call('invite.address.confirm', { token, code: code! })).toMatchObject({ accountExists: false });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.deliveredTo(to)).toHaveLength(2);
    expect(await app.metrics.registry.getSingleMetricAsString('notifier_account_emails_total')).toMatch(/kind="address-code",outcome="sent"\} 1/);
    await expect(t.client.call('invite.address.confirm', { token, code: code! })).rejects.toBeInstanceOf(DomainError);
  });

  it('emails a password reset link once, in the language asked for; the link sets the new password', async () => {
    await t.client.call('auth.password-reset.request', { email: org.ownerEmail, locale: 'es' });
    const mail = await eventually(() => smtp.deliveredTo(org.ownerEmail).find((m) => m.parsed.subject === 'Elige una contraseña nueva'), 30_000, 'the reset email');
    const link = /(https?:\/\/\S+\/reset-password#token=[A-Za-z0-9_-]{43})/.exec(mail.parsed.text ?? '')?.[1];
    expect(link, mail.parsed.text).toBeDefined();
    expect(link!.startsWith(`${t.config.APP_BASE_URL}/reset-password#token=`)).toBe(true);
    expect(mail.parsed.html).toContain(`href="${link}"`);
    const token = new URLSearchParams(new URL(link!).hash.slice(1)).get('token')!;
    await t.client.call('auth.password-reset.confirm', { token, password: 'lantern over the quiet harbour' });
    expect((await t.client.call('auth.login', { email: org.ownerEmail, password: 'lantern over the quiet harbour' })).user.email).toBe(org.ownerEmail);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.deliveredTo(org.ownerEmail).filter((m) => m.parsed.subject === 'Elige una contraseña nueva')).toHaveLength(1);
    expect(await app.metrics.registry.getSingleMetricAsString('notifier_account_emails_total')).toMatch(/kind="password-reset",outcome="sent"\} 1/);
  });
});
