// Live updates for one organisation: the gateway's server-sent events, read with
// fetch so the request carries the bearer token. When the endpoint is missing or the
// stream drops, the mode turns to "polling" and views poll the API themselves until
// the stream is back.
import type { Api } from './api.ts';
import { createSseParser } from './sse.ts';
import type { ConsoleEvent } from './types.ts';

export type LiveMode = 'connecting' | 'live' | 'polling';

export interface LiveHub {
  readonly mode: LiveMode;
  /** Every invite event of the organisation; returns the unsubscribe function. */
  subscribe(listener: (event: ConsoleEvent) => void): () => void;
  onMode(listener: (mode: LiveMode) => void): () => void;
  stop(): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export function startLive(api: Api, orgId: string): LiveHub {
  const listeners = new Set<(event: ConsoleEvent) => void>();
  const modeListeners = new Set<(mode: LiveMode) => void>();
  const abort = new AbortController();
  let mode: LiveMode = 'connecting';

  const setMode = (next: LiveMode) => {
    if (next === mode) return;
    mode = next;
    for (const listener of modeListeners) listener(mode);
  };

  const dispatch = (data: string) => {
    let event: ConsoleEvent;
    try {
      event = JSON.parse(data) as ConsoleEvent;
    } catch {
      return;
    }
    if (event.orgId !== orgId) return;
    for (const listener of listeners) listener(event);
  };

  void (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        const response = await api.open('GET', `/v1/orgs/${orgId}/events`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
        if (!response.ok || !response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
          await response.body?.cancel().catch(() => undefined);
          setMode('polling');
          // 404: not deployed (yet); check again now and then. Anything else: back off.
          await sleep(response.status === 404 ? 30_000 : Math.min(30_000, 2000 * 2 ** failures++), abort.signal);
          continue;
        }
        setMode('live');
        failures = 0;
        const feed = createSseParser((message) => {
          if (message.event === 'invite') dispatch(message.data);
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          feed(value);
        }
        setMode('polling');
        await sleep(1000, abort.signal);
      } catch {
        if (abort.signal.aborted) break;
        setMode('polling');
        await sleep(Math.min(30_000, 2000 * 2 ** failures++), abort.signal);
      }
    }
  })();

  return {
    get mode() {
      return mode;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onMode(listener) {
      modeListeners.add(listener);
      return () => modeListeners.delete(listener);
    },
    stop() {
      abort.abort();
      listeners.clear();
      modeListeners.clear();
    },
  };
}
