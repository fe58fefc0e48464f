/**
 * A provider's rate limit (EMAIL_RATE_PER_MINUTE, SMS_RATE_PER_MINUTE), as a
 * generic cell rate algorithm: sends are spaced 60 s / rate apart, with a burst of
 * one second's worth. `reserve()` books the next slot at once and says how long to
 * wait for it, so waiters are served in order and nothing is dropped; the message
 * waits in its consumer slot (its ack kept alive) and the rest waits in the stream.
 */
export interface RateLimiter {
  /** False when unlimited: reserve() is then always 0. */
  readonly limited: boolean;
  /** Milliseconds to wait before the booked send may start (0 when unlimited or free). */
  reserve(): number;
}

export function createRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  if (perMinute <= 0) return { limited: false, reserve: () => 0 };
  const interval = 60_000 / perMinute;
  const tolerance = interval * (Math.max(1, Math.floor(perMinute / 60)) - 1);
  let theoretical = 0;
  return {
    limited: true,
    reserve() {
      const t = now();
      theoretical = Math.max(theoretical, t);
      const wait = Math.max(0, theoretical - tolerance - t);
      theoretical += interval;
      return Math.ceil(wait);
    },
  };
}

/** Sleeps `ms`, calling `heartbeat` every `everyMs` meanwhile; resolves false when aborted. */
export async function waitWithHeartbeat(ms: number, everyMs: number, heartbeat: () => void, signal: AbortSignal): Promise<boolean> {
  let left = ms;
  while (left > 0) {
    if (signal.aborted) return false;
    const step = Math.min(left, everyMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, step);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
    left -= step;
    if (left > 0 && !signal.aborted) heartbeat();
  }
  return !signal.aborted;
}
