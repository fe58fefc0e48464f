import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sleep } from './chaos-stack.ts';

/**
 * Creates invites over HTTP the way a careful API client does: every request carries
 * an Idempotency-Key, and a 5xx, a 409 IDEMPOTENCY_IN_PROGRESS, a 429 or a connection
 * error is retried with the same key and body (after Retry-After when given), until it
 * gets an answer that is final or `giveUpMs` has passed.
 */

export interface Answer {
  status: number;
  code?: string;
  /** Milliseconds from sending to the answer (or the error). */
  ms: number;
  retryAfter?: string | null;
}

export interface KeyOutcome {
  key: string;
  email: string;
  answers: Answer[];
  /** Invite id of every 201 answer (a replay repeats the first). */
  createdIds: string[];
  /** The last answer's status: 201, another final status, or 0 when the client gave up. */
  final: number;
}

export interface LoadOptions {
  base: string;
  orgId: string;
  accessToken: string;
  total: number;
  inFlight: number;
  tag: string;
  /** How long one key is retried before the client gives up on it. */
  giveUpMs?: number;
  /** Client-side deadline of one HTTP request. */
  requestTimeoutMs?: number;
  /**
   * New invites started per second at most (retries are not held back), so that the load
   * lasts long enough for every fault to strike while it runs; unpaced, 600 invites
   * were done before the fourth fault.
   */
  ratePerSecond?: number;
}

const retriable = (answer: Answer) => answer.status === 0 || answer.status >= 500 || answer.status === 429 || answer.code === 'IDEMPOTENCY_IN_PROGRESS';

export function startInviteLoad(options: LoadOptions) {
  const giveUpMs = options.giveUpMs ?? 180_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const outcomes: KeyOutcome[] = [];
  let acknowledged = 0;
  let lastCreatedAt = 0;
  let next = 0;

  async function send(outcome: KeyOutcome): Promise<{ answer: Answer; inviteId?: string }> {
    const started = performance.now();
    try {
      const response = await fetch(`${options.base}/v1/orgs/${options.orgId}/invites`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.accessToken}`, 'idempotency-key': outcome.key },
        body: JSON.stringify({ email: outcome.email, role: 'member' }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await response.text();
      let body: { code?: string; invite?: { id?: string } } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // a proxy or a dying process may answer with anything
      }
      const answer: Answer = { status: response.status, ms: performance.now() - started, retryAfter: response.headers.get('retry-after') };
      if (body.code) answer.code = body.code;
      return { answer, ...(response.status === 201 && body.invite?.id ? { inviteId: body.invite.id } : {}) };
    } catch (error) {
      return { answer: { status: 0, code: (error as Error).name, ms: performance.now() - started } };
    }
  }

  async function one(index: number): Promise<void> {
    const outcome: KeyOutcome = {
      key: randomUUID(),
      email: `${options.tag}.${index}@chaos.example.test`,
      answers: [],
      createdIds: [],
      final: 0,
    };
    outcomes.push(outcome);
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const { answer, inviteId } = await send(outcome);
      outcome.answers.push(answer);
      if (inviteId) outcome.createdIds.push(inviteId);
      if (!retriable(answer)) {
        outcome.final = answer.status;
        if (answer.status === 201) {
          acknowledged += 1;
          lastCreatedAt = performance.now();
        }
        return;
      }
      if (performance.now() - started > giveUpMs) return;
      const hinted = Number(answer.retryAfter);
      await sleep(Number.isFinite(hinted) && hinted > 0 ? Math.min(hinted, 5) * 1000 : Math.min(2000, 100 * 2 ** attempt));
    }
  }

  const startedAt = performance.now();
  const done = Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      for (let i = next++; i < options.total; i = next++) {
        const due = options.ratePerSecond ? startedAt + (i * 1000) / options.ratePerSecond : 0;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        await one(i);
      }
    }),
  ).then(() => outcomes);

  return {
    done,
    outcomes,
    acknowledged: () => acknowledged,
    /** performance.now() of the latest 201. */
    lastCreatedAt: () => lastCreatedAt,
  };
}

export type InviteLoad = ReturnType<typeof startInviteLoad>;
