import { loadInvitesConfig } from './config.ts';
import { createLogger, exitIfPortInUse, startOpsServer, startTelemetry, stopOnSignals } from '@invite/telemetry';
import { startInvites } from './app.ts';

/** The invites process: starts the service, serves ops HTTP, and shuts down cleanly on SIGINT/SIGTERM. */
const telemetry = await startTelemetry('invites');
let config;
try {
  config = loadInvitesConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(78);
}
const logger = createLogger('invites', config.LOG_LEVEL);

const app = await startInvites(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'invites could not start');
  process.exit(1);
});
const ops = await startOpsServer({ port: config.INVITES_HTTP_PORT, registry: app.metrics.registry, ready: app.ready }).catch(async (error: unknown) => {
  await app.stop().catch(() => {});
  exitIfPortInUse(error, 'invites', config.INVITES_HTTP_PORT, 'INVITES_HTTP_PORT');
  logger.fatal({ err: error, port: config.INVITES_HTTP_PORT }, 'invites could not serve its ops port');
  process.exit(1);
});
logger.info({ port: ops.port, nats: config.NATS_URL, prefix: config.NATS_PREFIX || undefined }, 'invites ready');

stopOnSignals({
  logger,
  message: 'invites stopping',
  stop: () => Promise.all([app.stop(), ops.close()]),
  forceAfterMs: 15_000,
  telemetry,
});
