import { connect } from '@nats-io/transport-node';
import { serviceConnectionOptions } from '@invite/contracts';
import { exitIfPortInUse, startTelemetry, stopOnSignals } from '@invite/telemetry';
import { buildGateway } from './app.ts';
import { loadGatewayConfig } from './config.ts';
import { createGatewayDeps } from './deps.ts';

/** The gateway process: config, NATS, shared limit stores, listen, graceful close on SIGINT/SIGTERM. */
const telemetry = await startTelemetry('gateway');
let config;
try {
  config = loadGatewayConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(78);
}

const nc = await connect(serviceConnectionOptions(config.NATS_URL, 'gateway')).catch((error: unknown) => {
  process.stderr.write(`gateway: cannot reach NATS at ${config.NATS_URL}: ${(error as Error).message}\n`);
  process.exit(1);
});
const deps = await createGatewayDeps(nc, config);
const app = await buildGateway(deps);
await app.listen({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT }).catch(async (error: unknown) => {
  await app.close().catch(() => {});
  exitIfPortInUse(error, 'gateway', config.GATEWAY_PORT, 'GATEWAY_PORT');
  throw error;
});

stopOnSignals({
  logger: app.log,
  message: 'gateway stopping',
  stop: () => app.close().then(() => nc.drain()),
  forceAfterMs: 15_000,
  telemetry,
});
