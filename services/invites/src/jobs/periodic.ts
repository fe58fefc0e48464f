import type { Logger } from '@invite/telemetry';

export interface Periodic {
  start(): void;
  stop(): Promise<void>;
}

/** Runs `task` every `intervalMs`, never two at once; a failure is logged and retried next time. */
export function every(intervalMs: number, task: () => Promise<unknown>, logger: Logger, name: string): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | undefined;
  let running = false;
  const tick = () => {
    current = task()
      .catch((error) => logger.warn({ err: error }, `${name} failed; retrying later`))
      .finally(() => {
        if (running) timer = setTimeout(tick, intervalMs);
      });
  };
  return {
    start() {
      if (running) return;
      running = true;
      timer = setTimeout(tick, Math.min(intervalMs, 1000));
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };
}
