import { createLogger, exitIfPortInUse, startOpsServer, startTelemetry, stopOnSignals } from '@invite/telemetry';
import { startWebhooks } from './app.ts';
import { loadWebhooksConfig } from './webhooks.config.ts';

/** The webhook dispatcher process: consumes the streams, delivers, serves ops HTTP, and shuts down cleanly on SIGINT/SIGTERM. */
const telemetry = await startTelemetry('webhooks');
let config;
try {
  config = loadWebhooksConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(78);
}
const logger = createLogger('webhooks', config.LOG_LEVEL);

const app = await startWebhooks(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'webhooks could not start');
  process.exit(1);
});
const ops = await startOpsServer({ port: config.WEBHOOKS_HTTP_PORT, registry: app.metrics.registry, ready: app.ready }).catch(async (error: unknown) => {
  await app.stop().catch(() => {});
  exitIfPortInUse(error, 'webhooks', config.WEBHOOKS_HTTP_PORT, 'WEBHOOKS_HTTP_PORT');
  logger.fatal({ err: error, port: config.WEBHOOKS_HTTP_PORT }, 'webhooks could not serve its ops port');
  process.exit(1);
});
logger.info({ port: ops.port, nats: config.NATS_URL, prefix: config.NATS_PREFIX || undefined }, 'webhooks ready');

stopOnSignals({
  logger,
  message: 'webhooks stopping: finishing the attempts under way',
  stop: () => Promise.all([app.stop(), ops.close()]),
  // Attempts are bounded by WEBHOOKS_TIMEOUT_MS; past that and a margin, give up waiting.
  forceAfterMs: config.WEBHOOKS_TIMEOUT_MS + 10_000,
  telemetry,
});
