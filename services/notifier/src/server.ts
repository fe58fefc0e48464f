import { loadNotifierConfig } from './config.ts';
import { createLogger, startOpsServer, startTelemetry } from '@invite/telemetry';
import { startNotifier } from './app.ts';

/** The notifier process: starts the consumer, serves ops HTTP, and shuts down cleanly on SIGINT/SIGTERM. */
const telemetry = startTelemetry('notifier');
const logger = createLogger('notifier');
let config;
try {
  config = loadNotifierConfig();
} catch (error) {
  logger.fatal((error as Error).message);
  process.exit(78);
}

const app = await startNotifier(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'notifier could not start');
  process.exit(1);
});
const ops = await startOpsServer({ port: config.NOTIFIER_HTTP_PORT, registry: app.metrics.registry, ready: app.ready }).catch(async (error: unknown) => {
  logger.fatal({ err: error, port: config.NOTIFIER_HTTP_PORT }, 'notifier could not serve its ops port');
  await app.stop().catch(() => {});
  process.exit(1);
});
logger.info({ port: ops.port, nats: config.NATS_URL, prefix: config.NATS_PREFIX || undefined }, 'notifier ready');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'notifier stopping: finishing the sends under way');
    // Sends are bounded by NOTIFIER_SEND_TIMEOUT_MS; past that and a margin, give up waiting.
    const force = setTimeout(() => process.exit(1), config.NOTIFIER_SEND_TIMEOUT_MS + 10_000).unref();
    Promise.all([app.stop(), ops.close()])
      .then(() => telemetry.shutdown())
      .then(() => {
        clearTimeout(force);
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      });
  });
}
