import type { Logger } from 'pino';

export interface ShutdownOptions {
  logger: Pick<Logger, 'info' | 'error'>;
  /** Logged when the first signal arrives. */
  message: string;
  /** Stops the process's work; the telemetry SDK is flushed after it. */
  stop(): Promise<unknown>;
  /** Exit 1 if stopping takes longer than this. */
  forceAfterMs: number;
  /** Flushes spans last. */
  telemetry: { shutdown(): Promise<void> };
}

/**
 * The end of every service process: on the first SIGINT or SIGTERM, stop the work
 * (finish what is under way, drain NATS, close the database), flush telemetry, exit 0;
 * exit 1 if that fails or outlasts `forceAfterMs`. Later signals are ignored.
 */
export function stopOnSignals(options: ShutdownOptions): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      options.logger.info({ signal }, options.message);
      const force = setTimeout(() => process.exit(1), options.forceAfterMs).unref();
      options
        .stop()
        .then(() => options.telemetry.shutdown())
        .then(() => {
          clearTimeout(force);
          process.exit(0);
        })
        .catch((error: unknown) => {
          options.logger.error({ err: error }, 'unclean shutdown');
          process.exit(1);
        });
    });
  }
}

/**
 * Ends the process with one line, not a stack trace, when `error` is a port already in
 * use; returns otherwise, so the caller handles any other error.
 */
export function exitIfPortInUse(error: unknown, service: string, port: number, variable: string): void {
  if ((error as { code?: unknown } | null)?.code !== 'EADDRINUSE') return;
  process.stderr.write(`${service}: port ${port} is already in use (${variable}); stop what holds it, or set ${variable} to a free port\n`);
  process.exit(1);
}
