import { loadNotifierConfig } from './config.ts';
import { createLogger, exitIfPortInUse, startOpsServer, startTelemetry, stopOnSignals } from '@invite/telemetry';
import { startNotifier } from './app.ts';

/** The notifier process: starts the consumer, serves ops HTTP, and shuts down cleanly on SIGINT/SIGTERM. */
const telemetry = await startTelemetry('notifier');
let config;
try {
  config = loadNotifierConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(78);
}
const logger = createLogger('notifier', config.LOG_LEVEL);

const app = await startNotifier(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'notifier could not start');
  process.exit(1);
});
const ops = await startOpsServer({ port: config.NOTIFIER_HTTP_PORT, registry: app.metrics.registry, ready: app.ready }).catch(async (error: unknown) => {
  await app.stop().catch(() => {});
  exitIfPortInUse(error, 'notifier', config.NOTIFIER_HTTP_PORT, 'NOTIFIER_HTTP_PORT');
  logger.fatal({ err: error, port: config.NOTIFIER_HTTP_PORT }, 'notifier could not serve its ops port');
  process.exit(1);
});
logger.info({ port: ops.port, nats: config.NATS_URL, prefix: config.NATS_PREFIX || undefined }, 'notifier ready');

stopOnSignals({
  logger,
  message: 'notifier stopping: finishing the sends under way',
  stop: () => Promise.all([app.stop(), ops.close()]),
  // Sends are bounded by NOTIFIER_SEND_TIMEOUT_MS; past that and a margin, give up waiting.
  forceAfterMs: config.NOTIFIER_SEND_TIMEOUT_MS + 10_000,
  telemetry,
});
