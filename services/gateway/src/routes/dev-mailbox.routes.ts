import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Kvm, type KV } from '@nats-io/kv';
import { DevMailboxEntry, matches } from '@invite/contracts';
import type { GatewayDeps } from './support.ts';

/**
 * The development mailbox at /dev/mailbox: every email and SMS the notifier kept
 * instead of sending (NODE_ENV=development without SMTP_URL or TWILIO_*), newest
 * first, each with its HTML part in a sandboxed frame, its text and its link. The
 * gateway registers these routes in development only; elsewhere they do not exist.
 */
export const devMailboxRoutes: FastifyPluginAsync<{ deps: GatewayDeps }> = async (app, { deps }) => {
  let bucket: Promise<KV> | undefined;
  const open = () => (bucket ??= new Kvm(deps.nc).open(deps.names.devMailbox).catch((error: unknown) => {
    bucket = undefined;
    throw error;
  }));

  async function entries(): Promise<DevMailboxEntry[]> {
    let kv: KV;
    try {
      kv = await open();
    } catch {
      return []; // No notifier has kept anything yet.
    }
    const found: DevMailboxEntry[] = [];
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      const value: unknown = entry.json();
      if (matches(DevMailboxEntry, value)) found.push(value);
    }
    return found.sort((a, b) => b.at.localeCompare(a.at) || a.id.localeCompare(b.id));
  }

  const page = (reply: FastifyReply, title: string, body: string) =>
    reply
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        // The messages' own HTML is shown in a sandboxed srcdoc frame, which inherits this policy.
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      })
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
          `<link rel="icon" href="/favicon.svg" type="image/svg+xml"><title>${escape(title)}</title><style>${style}</style></head>` +
          `<body><header><p class="brand">Development mailbox</p><p>What the platform would have sent. Only in development; nothing here left this machine.</p></header><main>${body}</main></body></html>`,
      );

  app.get('/dev/mailbox.json', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-store').send(await entries()));

  app.get('/dev/mailbox', { schema: { hide: true } }, async (_request, reply) => {
    const all = await entries();
    const rows = all
      .map(
        (m) =>
          `<tr><td data-label="When">${escape(when(m.at))}</td><td data-label="Channel">${m.channel === 'sms' ? 'SMS' : 'Email'}</td><td data-label="To">${escape(m.to)}</td>` +
          `<td data-label="Message"><a href="/dev/mailbox/${encodeURIComponent(m.id)}">${escape(m.subject || m.text.slice(0, 80))}</a></td>` +
          `<td data-label="Link">${m.link ? `<a href="${escape(m.link)}">Open the link</a>` : ''}</td></tr>`,
      )
      .join('');
    return page(
      reply,
      'Development mailbox',
      `<h1>Development mailbox</h1>` +
        (all.length
          ? `<p>${all.length} message${all.length === 1 ? '' : 's'}, newest first. Reload to see new ones.</p><table><thead><tr><th>When</th><th>Channel</th><th>To</th><th>Message</th><th>Link</th></tr></thead><tbody>${rows}</tbody></table>`
          : `<p>Nothing yet. Invite someone (or create an organisation with <code>npm run admin -- create-org</code>) and reload this page.</p>`),
    );
  });

  app.get<{ Params: { id: string } }>('/dev/mailbox/:id', { schema: { hide: true } }, async (request, reply) => {
    const message = (await entries()).find((m) => m.id === request.params.id);
    if (!message) return page(reply.code(404), 'Not in the mailbox', `<h1>Not in the mailbox</h1><p><a href="/dev/mailbox">Back to the mailbox</a></p>`);
    return page(
      reply,
      message.subject || 'SMS',
      `<p><a href="/dev/mailbox">← All messages</a></p><h1>${escape(message.subject || 'SMS')}</h1>` +
        `<dl><dt>From</dt><dd>${escape(message.from)}</dd><dt>To</dt><dd>${escape(message.to)}</dd><dt>When</dt><dd>${escape(when(message.at))}</dd>` +
        (message.link ? `<dt>Link</dt><dd><a id="message-link" href="${escape(message.link)}">${escape(message.link)}</a></dd>` : '') +
        `</dl>` +
        (message.html ? `<h2>As the email shows it</h2><iframe title="The email" sandbox srcdoc="${escape(message.html)}"></iframe>` : '') +
        `<h2>${message.channel === 'sms' ? 'The SMS' : 'Text part'}</h2><pre>${escape(message.text)}</pre>`,
    );
  });
};

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function when(at: string): string {
  return new Date(at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }) + ' UTC';
}

const style = `body{font-family:system-ui,sans-serif;margin:0;line-height:1.5;color-scheme:light dark}header{padding:.6rem 1.25rem;border-bottom:1px solid #d0d5dd}header p{margin:0}.brand{font-weight:700}main{max-width:72rem;margin:0 auto;padding:1rem 1.25rem 3rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #d0d5dd;vertical-align:top;overflow-wrap:break-word}th{white-space:nowrap}iframe{width:100%;height:32rem;border:1px solid #d0d5dd;border-radius:8px;background:#fff}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:rgba(127,127,127,.1);padding:.75rem;border-radius:8px}dt{font-weight:600}dd{margin:0 0 .5rem;overflow-wrap:anywhere}@media (max-width:40rem){main{padding:.75rem .75rem 2rem}thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}table,tbody,tr,td{display:block;width:100%;box-sizing:border-box}tr{border:1px solid #d0d5dd;border-radius:8px;margin-bottom:.75rem;padding:.3rem 0}td{border:0;display:grid;grid-template-columns:5.5rem 1fr;gap:.5rem;padding:.2rem .75rem;overflow-wrap:anywhere}td::before{content:attr(data-label);font-weight:600}}`;
