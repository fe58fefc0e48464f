import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { webhookSignatureHeader } from '@invite/contracts';
import { AddressRefused, guardedLookup, hostOf, refusal, refusedKind, systemResolve, urlProblem, type Resolve } from './address-policy.ts';

/** Where one attempt goes and what signs it. */
export interface SendTarget {
  endpointId: string;
  url: string;
  /** The secrets that sign now (two during a rotation's grace period). */
  secrets: string[];
}

export interface AttemptResult {
  ok: boolean;
  /** The endpoint's HTTP status; null when it never answered. */
  status: number | null;
  latencyMs: number;
  /** Why it failed; null when it succeeded. */
  error: string | null;
}

export interface SenderOptions {
  /** WEBHOOKS_ALLOW_PRIVATE: development only. */
  allowPrivate: boolean;
  timeoutMs: number;
  /** Connections kept to one endpoint (its concurrency). */
  socketsPerEndpoint: number;
  resolve?: Resolve;
}

/** How much of an answer is read (and thrown away) before the connection is reused. */
const maxResponseBytes = 64 * 1024;
const userAgent = 'InvitePlatform-Webhooks/1.0 (+https://www.standardwebhooks.com)';

/**
 * One HTTP POST per attempt, signed per Standard Webhooks, through a keep-alive agent
 * of the endpoint's own (so a slow endpoint's connections are not anyone else's). The
 * agent resolves names through `guardedLookup`: the connection goes to the addresses
 * just checked. Redirects are not followed (a 3xx is a failure), the whole attempt,
 * connection included, ends at `timeoutMs`, and a 2xx is the only success.
 */
export function createWebhookSender(options: SenderOptions) {
  const resolve = options.resolve ?? systemResolve;
  const agents = new Map<string, { agent: http.Agent; usedAt: number }>();

  function agentFor(endpointId: string, url: URL): http.Agent {
    const key = `${endpointId} ${url.origin}`;
    let entry = agents.get(key);
    if (!entry) {
      const agentOptions = {
        keepAlive: true,
        maxSockets: options.socketsPerEndpoint,
        maxFreeSockets: options.socketsPerEndpoint,
        ...(options.allowPrivate ? {} : { lookup: guardedLookup(resolve) }),
      };
      entry = { agent: url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions), usedAt: Date.now() };
      agents.set(key, entry);
    }
    entry.usedAt = Date.now();
    return entry.agent;
  }

  // Agents of endpoints that went quiet are closed, so their sockets do not linger.
  const sweeper = setInterval(() => {
    const idleSince = Date.now() - 5 * 60_000;
    for (const [key, entry] of agents) {
      if (entry.usedAt < idleSince) {
        entry.agent.destroy();
        agents.delete(key);
      }
    }
  }, 60_000);
  sweeper.unref();

  async function send(target: SendTarget, messageId: string, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const problem = urlProblem(target.url, { allowPrivate: options.allowPrivate });
    if (problem) return { ok: false, status: null, latencyMs: 0, error: `the URL ${problem}` };
    const url = new URL(target.url);
    const host = hostOf(url);
    if (!options.allowPrivate && isIP(host)) {
      // A literal address is connected to as is: no lookup runs, so it is checked here.
      const kind = refusedKind(host);
      if (kind) return { ok: false, status: null, latencyMs: 0, error: refusal(host, host, kind) };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(body);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(payload.length),
      'user-agent': userAgent,
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignatureHeader(target.secrets, messageId, timestamp, body),
    };
    return new Promise<AttemptResult>((done) => {
      let settled = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(result);
      };
      const request = (url.protocol === 'https:' ? https.request : http.request)(url, { method: 'POST', headers, agent: agentFor(target.endpointId, url) }, (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > maxResponseBytes) response.destroy();
        });
        const status = response.statusCode ?? 0;
        const answered = () => {
          const ok = status >= 200 && status < 300;
          finish({ ok, status, latencyMs: elapsed(), error: ok ? null : status >= 300 && status < 400 ? `answered ${status}; redirects are not followed` : `answered ${status}` });
        };
        response.once('end', answered);
        response.once('close', answered);
        response.once('error', answered);
      });
      const timer = setTimeout(() => request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      request.once('error', (error: NodeJS.ErrnoException) => {
        const reason = error instanceof AddressRefused || error.message.startsWith('timed out') ? error.message : describe(error);
        finish({ ok: false, status: null, latencyMs: elapsed(), error: reason });
      });
      request.end(payload);
    });
  }

  return {
    send,
    close(): void {
      clearInterval(sweeper);
      for (const { agent } of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

const errorWords: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate does not name the host',
};

function describe(error: NodeJS.ErrnoException): string {
  const words = error.code ? errorWords[error.code] : undefined;
  return words ? `${words} (${error.code})` : error.code ? `${error.message} (${error.code})` : error.message;
}
