// Webhooks: the organisation's endpoints (add, enable or disable, rotate the secret,
// send a test, delete) and each one's delivery log with replay. A secret is shown once,
// when the endpoint is added or its secret rotated.
import { explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { announce, cell, fieldError, h, listAction, replace, shownOnce, table } from '../lib/dom.ts';
import { dateTime } from '../lib/format.ts';
import type { WebhookDeliveryPage, WebhookDeliveryView, WebhookEventType, WebhookList, WebhookView, WebhookWithSecret } from '../lib/types.ts';

const eventTypes: [WebhookEventType, string][] = [
  ['invite.created', 'Invite created'],
  ['invite.resent', 'Invite resent'],
  ['invite.delivered', 'Invite delivered (email or SMS sent)'],
  ['invite.delivery_failed', 'Invite delivery failed'],
  ['invite.accepted', 'Invite accepted'],
  ['invite.declined', 'Invite declined'],
  ['invite.withdrawn', 'Invite withdrawn'],
  ['invite.expired', 'Invite expired'],
  ['member.joined', 'Member joined'],
];

const deliveryTone: Record<WebhookDeliveryView['status'], string> = { delivered: 'ok', pending: 'wait', failed: 'bad', cancelled: 'none' };
const deliveryWords: Record<WebhookDeliveryView['status'], string> = { delivered: 'Delivered', pending: 'Retrying', failed: 'Failed', cancelled: 'Cancelled' };

function stateBadge(webhook: WebhookView): HTMLElement {
  if (webhook.enabled) {
    return webhook.failingSince
      ? h('span', { class: 'badge', 'data-tone': 'wait' }, `Failing since ${dateTime(webhook.failingSince)}`)
      : h('span', { class: 'badge', 'data-tone': 'ok' }, 'Enabled');
  }
  return webhook.disabledReason === 'failing'
    ? h('span', { class: 'badge', 'data-tone': 'bad' }, 'Disabled after repeated failures')
    : h('span', { class: 'badge', 'data-tone': 'none' }, 'Disabled');
}

/** The secret, once, with a copy button. */
function secretBox(webhook: WebhookView, secret: string, rotated: boolean): HTMLElement {
  return shownOnce({
    id: `secret-${webhook.id}`,
    value: secret,
    noun: 'secret',
    label: rotated ? `New signing secret for ${webhook.url}` : `Signing secret for ${webhook.url}`,
    hint:
      rotated && webhook.previousSecretExpiresAt
        ? `Shown this once. Until ${dateTime(webhook.previousSecretExpiresAt)} deliveries carry a signature with the previous secret too, so your receiver can switch without missing one.`
        : 'Shown this once: store it with your receiver, which checks each delivery’s webhook-signature with it.',
  });
}

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const list = h('ul', { class: 'cards', id: 'webhook-list' });
  const listStatus = h('p', { role: 'status', class: 'muted' }, 'Loading…');
  const secretSlot = h('div', { id: 'webhook-secret' });
  const logSlot = h('section', { id: 'webhook-log', 'aria-live': 'polite' });
  let stopped = false;

  // ---- add an endpoint
  const urlInput = h('input', { id: 'webhook-url', name: 'url', type: 'url', required: true, placeholder: 'https://example.com/webhooks/invites', 'aria-describedby': 'webhook-url-hint' });
  const noteInput = h('input', { id: 'webhook-description', name: 'description', type: 'text', maxlength: 200 });
  const boxes = eventTypes.map(([type, words]) => {
    const box = h('input', { type: 'checkbox', name: 'eventTypes', value: type, id: `type-${type}`, checked: type !== 'invite.delivered' && type !== 'invite.delivery_failed' });
    return { box, label: h('label', { class: 'inline', for: box.id }, box, words) };
  });
  const typesSet = h('fieldset', { id: 'webhook-types' }, h('legend', {}, 'Events to send'), boxes.map((b) => b.label));
  const formStatus = h('p', { role: 'status' });
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'add-webhook-title', class: 'panel' },
    h('h2', { id: 'add-webhook-title' }, 'Add an endpoint'),
    h('label', { for: urlInput.id }, 'Endpoint URL'),
    urlInput,
    h('p', { class: 'hint', id: 'webhook-url-hint' }, 'An https address on the internet; addresses inside private networks are refused.'),
    h('label', { for: noteInput.id }, 'Note (optional)'),
    noteInput,
    typesSet,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add endpoint'), formStatus),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.box.value as WebhookEventType);
    fieldError(urlInput, urlInput.value.trim() ? null : 'Enter the address of your endpoint.');
    if (!urlInput.value.trim()) return urlInput.focus();
    if (chosen.length === 0) {
      formStatus.className = 'error';
      formStatus.textContent = 'Choose at least one event.';
      return boxes[0]!.box.focus();
    }
    formStatus.className = '';
    formStatus.textContent = 'Adding…';
    try {
      const body = { url: urlInput.value.trim(), eventTypes: chosen, ...(noteInput.value.trim() ? { description: noteInput.value.trim() } : {}) };
      const created = await ctx.api.post<WebhookWithSecret>(orgPath(ctx, '/webhooks'), body);
      formStatus.className = 'success';
      formStatus.textContent = 'Endpoint added.';
      urlInput.value = '';
      noteInput.value = '';
      replace(secretSlot, secretBox(created.webhook, created.secret, false));
      await load();
    } catch (error) {
      formStatus.textContent = '';
      fieldError(urlInput, explain(error));
      urlInput.focus();
    }
  });

  // ---- the endpoints
  const act = listAction(listStatus, () => load(), explain);

  const card = (webhook: WebhookView): HTMLElement => {
    const path = orgPath(ctx, `/webhooks/${webhook.id}`);
    // The accessible name starts with the visible text, and says which endpoint.
    const button = (text: string, tone = 'secondary') => h('button', { type: 'button', class: `${tone} small`, 'aria-label': `${text}: ${webhook.url}` }, text);
    const log = button('Delivery log');
    log.addEventListener('click', () => void showLog(webhook));
    const test = button('Send test');
    test.disabled = !webhook.enabled;
    test.addEventListener('click', () => void act(() => ctx.api.post(`${path}/test`), `A test message is on its way to ${webhook.url}.`).then(() => showLog(webhook)));
    const toggle = button(webhook.enabled ? 'Disable' : 'Enable');
    toggle.addEventListener('click', () => void act(() => ctx.api.patch(path, { enabled: !webhook.enabled }), webhook.enabled ? 'Endpoint disabled.' : 'Endpoint enabled.'));
    const rotate = button('Rotate secret');
    rotate.addEventListener('click', async () => {
      if (!(await ctx.confirm('Rotate the signing secret?', `A new secret signs deliveries to ${webhook.url} from now on; the current one keeps signing beside it for a grace period.`, 'Rotate secret'))) return;
      try {
        const rotated = await ctx.api.post<WebhookWithSecret>(`${path}/rotate-secret`);
        replace(secretSlot, secretBox(rotated.webhook, rotated.secret, true));
        secretSlot.querySelector('input')?.focus();
        await load();
      } catch (error) {
        listStatus.className = 'error';
        listStatus.textContent = explain(error);
      }
    });
    const remove = button('Delete', 'danger');
    remove.addEventListener('click', async () => {
      if (!(await ctx.confirm('Delete this endpoint?', `Nothing more is sent to ${webhook.url}, and deliveries still waiting are cancelled.`, 'Delete endpoint'))) return;
      await act(() => ctx.api.del(path), 'Endpoint deleted.');
      if (logSlot.dataset.webhookId === webhook.id) logSlot.replaceChildren();
    });
    const types = webhook.eventTypes.map((type) => eventTypes.find(([t]) => t === type)?.[1] ?? type).join(', ');
    return h(
      'li',
      { class: 'card', 'data-webhook-id': webhook.id },
      h('h3', {}, webhook.url),
      h('p', { class: 'meta' }, stateBadge(webhook), webhook.description ? ` ${webhook.description}` : ''),
      h('p', { class: 'meta' }, `Events: ${types}`),
      webhook.consecutiveFailures > 0 ? h('p', { class: 'meta' }, `${webhook.consecutiveFailures} failed attempt${webhook.consecutiveFailures === 1 ? '' : 's'} in a row`) : null,
      h('div', { class: 'table-actions' }, log, test, toggle, rotate, remove),
    );
  };

  async function load(): Promise<void> {
    try {
      const { items } = await ctx.api.get<WebhookList>(orgPath(ctx, '/webhooks'));
      if (stopped) return;
      replace(list, items.map(card));
      listStatus.className = 'muted';
      listStatus.textContent = items.length ? `${items.length} endpoint${items.length === 1 ? '' : 's'}.` : 'No endpoint yet: add one above.';
    } catch (error) {
      listStatus.className = 'error';
      listStatus.textContent = explain(error);
    }
  }

  // ---- one endpoint's delivery log
  async function showLog(webhook: WebhookView): Promise<void> {
    const path = orgPath(ctx, `/webhooks/${webhook.id}`);
    logSlot.dataset.webhookId = webhook.id;
    const { el, body } = table(`Deliveries to ${webhook.url}`, ['When', 'Event', 'Status', 'Attempts', 'Response', 'Time', 'Last error', 'Actions']);
    const status = h('p', { role: 'status', class: 'muted' }, 'Loading…');
    const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
    const refresh = h('button', { type: 'button', class: 'secondary small' }, 'Refresh');
    let cursor: string | null = null;

    const row = (d: WebhookDeliveryView) => {
      const replay = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Replay the ${d.eventType} delivery of ${dateTime(d.createdAt)}` }, 'Replay');
      replay.disabled = d.status === 'pending';
      replay.addEventListener('click', async () => {
        try {
          await ctx.api.post(`${path}/deliveries/${d.id}/replay`);
          announce('Replay queued.');
          await page(true);
        } catch (error) {
          status.className = 'error';
          status.textContent = explain(error);
        }
      });
      return h(
        'tr',
        { 'data-delivery-id': d.id },
        cell('When', dateTime(d.createdAt), d.replayOf ? h('span', { class: 'muted' }, ' (replay)') : null),
        cell('Event', d.eventType),
        cell('Status', h('span', { class: 'badge', 'data-tone': deliveryTone[d.status] }, deliveryWords[d.status])),
        h('td', { 'data-label': 'Attempts', class: 'num' }, String(d.attempts)),
        h('td', { 'data-label': 'Response', class: 'num' }, d.responseStatus === null ? '—' : String(d.responseStatus)),
        h('td', { 'data-label': 'Time', class: 'num' }, d.latencyMs === null ? '—' : `${d.latencyMs} ms`),
        cell('Last error', d.lastError ?? '—'),
        cell('Actions', replay),
      );
    };

    async function page(first: boolean): Promise<void> {
      more.disabled = true;
      try {
        if (first) cursor = null;
        const result = await ctx.api.get<WebhookDeliveryPage>(`${path}/deliveries?limit=25${cursor ? `&cursor=${cursor}` : ''}`);
        if (first) body.replaceChildren();
        body.append(...result.items.map(row));
        cursor = result.nextCursor;
        more.hidden = !cursor;
        status.className = 'muted';
        const shown = body.children.length;
        status.textContent = shown ? `Showing ${shown} deliver${shown === 1 ? 'y' : 'ies'}, newest first.` : 'Nothing sent to this endpoint yet.';
      } catch (error) {
        status.className = 'error';
        status.textContent = explain(error);
      } finally {
        more.disabled = false;
      }
    }
    more.addEventListener('click', () => void page(false));
    refresh.addEventListener('click', () => void page(true));
    replace(logSlot, h('h2', { tabindex: -1 }, 'Delivery log'), h('div', { class: 'actions' }, refresh), el, h('div', { class: 'more' }, more, status));
    logSlot.querySelector<HTMLElement>('h2')?.focus();
    await page(true);
  }

  main.append(
    h('h1', { tabindex: -1 }, 'Webhooks'),
    h(
      'p',
      { class: 'hint' },
      'Your systems hear about invites and new members as they happen: each event is POSTed to your endpoints, signed with the endpoint’s secret (Standard Webhooks), and retried for hours when the endpoint fails. An endpoint that keeps failing for a day is disabled.',
    ),
    form,
    secretSlot,
    h('h2', {}, 'Endpoints'),
    list,
    listStatus,
    logSlot,
  );
  void load();
  return () => {
    stopped = true;
  };
};
