import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TwilioMessage {
  sid: string;
  account_sid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  date_created: string;
}

/** What the server does with one create request; the default creates the message (201). */
export type CreateVerdict =
  | 'create'
  /** Twilio's error body `{code, message, status}` with that HTTP status; nothing created. */
  | { status: number; code: number; message: string }
  /** Creates the message, then answers 500 as if it had failed (the ambiguous case). */
  | 'create-then-500';

/**
 * A local HTTP server speaking the part of Twilio's Messages API the notifier uses:
 * POST …/Accounts/{Sid}/Messages.json (form body) → 201 with the message, errors as
 * Twilio's JSON; GET …/Messages.json?To=&From= lists messages, newest first.
 */
export async function startTwilioServer(behaviour: { create?(count: number, to: string): CreateVerdict } = {}) {
  const messages: TwilioMessage[] = [];
  const requests: { method: string; path: string; form: URLSearchParams; auth: string }[] = [];
  let creates = 0;

  function send(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-zA-Z]+)\/Messages\.json$/.exec(url.pathname);
    const form = new URLSearchParams(req.method === 'POST' ? body : url.search);
    requests.push({ method: req.method ?? '', path: url.pathname, form, auth: req.headers.authorization ?? '' });
    if (!match) return send(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    const accountSid = match[1]!;
    if (req.method === 'GET') {
      const found = messages
        .filter((m) => (!form.get('To') || m.to === form.get('To')) && (!form.get('From') || m.from === form.get('From')))
        .reverse();
      return send(res, 200, { messages: found, next_page_uri: null, page: 0, page_size: found.length, uri: url.pathname });
    }
    if (req.method !== 'POST') return send(res, 405, { code: 20004, message: 'Method not allowed', status: 405 });
    const to = form.get('To') ?? '';
    const verdict = behaviour.create?.(++creates, to) ?? 'create';
    if (typeof verdict === 'object') return send(res, verdict.status, { code: verdict.code, message: verdict.message, more_info: `https://www.twilio.com/docs/errors/${verdict.code}`, status: verdict.status });
    const message: TwilioMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      account_sid: accountSid,
      to,
      from: form.get('From') ?? '',
      body: form.get('Body') ?? '',
      status: 'queued',
      date_created: new Date().toUTCString(),
    };
    messages.push(message);
    if (verdict === 'create-then-500') return send(res, 500, { code: 20500, message: 'Internal Server Error', status: 500 });
    send(res, 201, message);
  }

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    messages,
    requests,
    creates: () => requests.filter((r) => r.method === 'POST'),
    messagesTo: (to: string) => messages.filter((m) => m.to === to),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type TwilioServer = Awaited<ReturnType<typeof startTwilioServer>>;
