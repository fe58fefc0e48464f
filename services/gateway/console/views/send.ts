// Send one invite, show its link once, and watch it go out, channel by channel.
import { ApiError, explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { fieldError, h } from '../lib/dom.ts';
import { inviteCard, linkPanel, type InviteCard } from '../lib/invite-card.ts';
import { allowedRoles, localeOptions } from '../lib/options.ts';
import type { Channel, ChannelsStatus, InviteWithLink, NewInvite, Role } from '../lib/types.ts';
import { watchInvites } from '../lib/watch.ts';

const phonePattern = /^\+[1-9][0-9]{6,14}$/;

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const cards = new Map<string, InviteCard>();
  const watcher = watchInvites(ctx.api, ctx.live, ctx.org.orgId, (invite) => cards.get(invite.id)?.update(invite));

  const email = h('input', { id: 'invite-email', name: 'email', type: 'email', autocomplete: 'off', required: true, maxlength: 254 });
  const phone = h('input', { id: 'invite-phone', name: 'phone', type: 'tel', autocomplete: 'off', placeholder: '+447700900123', 'aria-describedby': 'invite-phone-hint' });
  const role = h('select', { id: 'invite-role', name: 'role' }, allowedRoles(ctx.org.role).map((r) => h('option', { value: r, selected: r === 'member' }, r)));
  const emailChannel = h('input', { id: 'channel-email', type: 'checkbox', name: 'channels', value: 'email', checked: true });
  const smsChannel = h('input', { id: 'channel-sms', type: 'checkbox', name: 'channels', value: 'sms' });
  const linkOnly = h('input', { id: 'channel-none', type: 'checkbox', name: 'link-only', 'aria-describedby': 'channel-none-hint' });
  const channelHint = h('p', { id: 'channel-hint', class: 'hint', hidden: true });
  /** Channels this deployment cannot send on, with why; the form offers only the others. */
  const unavailable = new Map<Channel, string>();
  const locale = h('select', { id: 'invite-locale', name: 'locale' }, h('option', { value: '' }, 'Organisation default'), localeOptions());
  const expiry = h(
    'select',
    { id: 'invite-expiry', name: 'expiresInHours' },
    [24, 48, 72, 168, 336, 720].map((hours) => h('option', { value: hours, selected: hours === 48 }, hours < 72 ? `${hours} hours` : `${hours / 24} days`)),
  );
  const message = h('textarea', { id: 'invite-message', name: 'message', maxlength: 500, rows: 3, 'aria-describedby': 'invite-message-count' });
  const counter = h('p', { id: 'invite-message-count', class: 'hint' }, '0 of 500 characters');
  const redirectUrl = h('input', { id: 'invite-redirect', name: 'redirectUrl', type: 'url', maxlength: 2000, placeholder: 'https://app.example.com/welcome', 'aria-describedby': 'invite-redirect-hint' });
  const status = h('p', { id: 'send-status', role: 'status' });
  const submit = h('button', { type: 'submit' }, 'Send invite');
  const linkSlot = h('div');
  const list = h('ol', { class: 'cards', id: 'sent-invites', 'aria-label': 'Invites sent from this page' });

  let smsTouched = false;
  smsChannel.addEventListener('change', () => (smsTouched = true));
  // Copy link only: nothing is sent, so neither channel can be chosen.
  const channelsEnabled = () => {
    for (const channel of [emailChannel, smsChannel]) {
      channel.disabled = linkOnly.checked || unavailable.has(channel.value as Channel);
      if (channel.disabled) channel.checked = false;
    }
    if (!linkOnly.checked) {
      emailChannel.checked = !unavailable.has('email');
      smsChannel.checked = !unavailable.has('sms') && phone.value.trim() !== '';
    }
    submit.textContent = linkOnly.checked ? 'Create link' : 'Send invite';
  };
  linkOnly.addEventListener('change', channelsEnabled);
  phone.addEventListener('input', () => {
    if (!smsTouched && !smsChannel.disabled) smsChannel.checked = phone.value.trim() !== '';
  });
  message.addEventListener('input', () => (counter.textContent = `${message.value.length} of 500 characters`));

  const fields: Record<string, HTMLElement> = { email, phone, role, locale, expiresInHours: expiry, message, redirectUrl };
  const clearErrors = () => Object.values(fields).forEach((f) => fieldError(f, null));
  const showErrors = (errors: { path: string; message: string }[]) => {
    let first: HTMLElement | null = null;
    for (const { path, message: text } of errors) {
      const name = path.split('/').filter(Boolean)[0] ?? '';
      const field = fields[name];
      if (!field) continue;
      // "Phone (optional)" names the field; the sentence is about "Phone".
      const label = (document.querySelector(`label[for="${field.id}"]`)?.textContent ?? name).replace(/\s*\(optional\)$/, '');
      fieldError(field, `${label} ${text}.`);
      first ??= field;
    }
    first?.focus();
    return first !== null;
  };

  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'send-title', class: 'send-form' },
    h('div', { class: 'row-fields' },
      h('div', {}, h('label', { for: 'invite-email' }, 'Email'), email),
      h('div', {}, h('label', { for: 'invite-phone' }, 'Phone (optional)'), phone, h('p', { id: 'invite-phone-hint', class: 'hint' }, 'International form, e.g. +447700900123')),
    ),
    h('div', { class: 'row-fields' },
      h('div', {}, h('label', { for: 'invite-role' }, 'Role'), role),
      h('div', {}, h('label', { for: 'invite-locale' }, 'Language'), locale),
      h('div', {}, h('label', { for: 'invite-expiry' }, 'Link expires after'), expiry),
    ),
    h('fieldset', {}, h('legend', {}, 'Send by'),
      h('label', { class: 'inline', for: 'channel-email' }, emailChannel, 'Email'),
      h('label', { class: 'inline', for: 'channel-sms' }, smsChannel, 'SMS'),
      h('label', { class: 'inline', for: 'channel-none' }, linkOnly, 'Copy link only'),
      h('p', { id: 'channel-none-hint', class: 'hint' }, 'Copy link only: nothing is sent; the link appears here for you to share (chat, a QR code).'),
      channelHint,
    ),
    h('label', { for: 'invite-message' }, 'Personal message (optional)'),
    message,
    counter,
    h('label', { for: 'invite-redirect' }, 'After accepting, go to (optional)'),
    redirectUrl,
    h('p', { id: 'invite-redirect-hint', class: 'hint' }, 'A page of yours on an origin allowed in Settings, under Redirect after accept.'),
    h('div', { class: 'actions' }, submit, status),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    const channels = [emailChannel, smsChannel].filter((c) => c.checked).map((c) => c.value as Channel);
    const problems: { path: string; message: string }[] = [];
    if (!email.value.trim()) problems.push({ path: '/email', message: 'is required' });
    if (phone.value.trim() && !phonePattern.test(phone.value.trim())) problems.push({ path: '/phone', message: 'must be + and 7 to 15 digits, e.g. +447700900123' });
    if (channels.includes('sms') && !phone.value.trim()) problems.push({ path: '/phone', message: 'is needed to send by SMS' });
    const noChannel = channels.length === 0 && !linkOnly.checked;
    if (problems.length || noChannel) {
      if (!showErrors(problems)) emailChannel.focus();
      status.className = 'error';
      status.textContent = noChannel ? 'Choose email, SMS or both, or Copy link only.' : 'Check the highlighted fields.';
      return;
    }
    const body: NewInvite = {
      email: email.value.trim(),
      role: role.value as Role,
      channels,
      expiresInHours: Number(expiry.value),
      ...(phone.value.trim() ? { phone: phone.value.trim() } : {}),
      ...(locale.value ? { locale: locale.value } : {}),
      ...(message.value.trim() ? { message: message.value.trim() } : {}),
      ...(redirectUrl.value.trim() ? { redirectUrl: redirectUrl.value.trim() } : {}),
    };
    submit.disabled = true;
    status.className = '';
    status.textContent = linkOnly.checked ? 'Creating…' : 'Sending…';
    try {
      const created = await ctx.api.post<InviteWithLink>(orgPath(ctx, '/invites'), body, { 'idempotency-key': crypto.randomUUID() });
      status.className = 'success';
      status.textContent = created.invite.channels.length
        ? `Invite created for ${created.invite.email}.`
        : `Link created for ${created.invite.email}: nothing was sent, share it yourself.`;
      const panel = linkPanel(`Accept link for ${created.invite.email}`, created.acceptUrl);
      linkSlot.replaceChildren(panel);
      const card = inviteCard(created.invite);
      cards.set(created.invite.id, card);
      list.prepend(card.el);
      watcher.watch(created.invite);
      form.reset();
      smsTouched = false;
      channelsEnabled();
      counter.textContent = '0 of 500 characters';
      panel.querySelector<HTMLElement>('h2')?.focus();
    } catch (error) {
      status.className = 'error';
      status.textContent = explain(error);
      if (error instanceof ApiError && error.problem.errors?.length) showErrors(error.problem.errors);
      else if (error instanceof ApiError && ['INVITE_ALREADY_PENDING', 'ALREADY_MEMBER'].includes(error.problem.code)) email.focus();
    } finally {
      submit.disabled = false;
    }
  });

  // Offer only the channels this deployment can send on, and say why the others are off.
  void ctx.api
    .get<ChannelsStatus>('/v1/channels')
    .then((status) => {
      for (const channel of ['email', 'sms'] as const) if (!status[channel].available) unavailable.set(channel, status[channel].reason ?? 'not set up');
      if (unavailable.size === 0) return;
      channelHint.textContent = [...unavailable].map(([channel, reason]) => `${channel === 'sms' ? 'SMS' : 'Email'} cannot be sent here: ${reason}.`).join(' ');
      channelHint.hidden = false;
      channelsEnabled();
    })
    .catch(() => {
      // Unknown: both stay offered; a channel that cannot send records its deliveries as not sent.
    });

  main.append(
    h('h1', { id: 'send-title', tabindex: -1 }, 'Send an invite'),
    h('div', { class: 'grid-2' },
      h('section', { class: 'panel' }, form),
      h('section', { 'aria-labelledby': 'sent-title' },
        linkSlot,
        h('h2', { id: 'sent-title' }, 'Sent from this page'),
        h('p', { class: 'hint' }, 'Each invite updates by itself as it is delivered.'),
        list,
      ),
    ),
  );
  return () => watcher.stop();
};
