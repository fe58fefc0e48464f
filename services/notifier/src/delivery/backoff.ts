/**
 * Delay before attempt `attempt + 1`, after `attempt` failed: exponential with
 * "equal jitter" (half fixed, half random). The fixed half keeps delays growing
 * from one attempt to the next, the random half spreads replicas and invites that
 * failed together (an SMTP outage) so they do not all come back at once.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  // Capped after the jitter, not before, so that delays never shrink near the cap.
  const exponential = baseMs * 2 ** Math.min(40, Math.max(0, attempt - 1));
  return Math.round(Math.min(maxMs, exponential / 2 + (random() * exponential) / 2));
}
