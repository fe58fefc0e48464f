import type { FastifyInstance } from 'fastify';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { buildGateway } from '../src/app.ts';
import { createGatewayDeps } from '../src/deps.ts';
import { startTestInvites, type TestInvites } from '../../invites/test/harness.ts';

export interface TestGateway {
  invites: TestInvites;
  app: Awaited<ReturnType<typeof buildGateway>>;
  config: GatewayConfig;
  close(): Promise<void>;
}

/**
 * The invites service (in this process, on a database and NATS prefix of its own) and
 * a gateway in front of it, sharing that prefix. Requests go through `app.inject`, or
 * a real port after `app.listen({ port: 0 })`.
 */
export async function startTestGateway(label: string, gatewayEnv: Record<string, string> = {}, invitesEnv: Record<string, string> = {}): Promise<TestGateway> {
  const invites = await startTestInvites(label, invitesEnv);
  const config = loadGatewayConfig({
    NODE_ENV: 'test',
    NATS_URL: invites.env.NATS_URL,
    NATS_PREFIX: invites.env.NATS_PREFIX,
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'warn',
    ...gatewayEnv,
  });
  const deps = await createGatewayDeps(invites.nc, config);
  const app = await buildGateway(deps, { logger: false });
  await app.ready();
  return {
    invites,
    app,
    config,
    async close() {
      await app.close();
      const { Kvm } = await import('@nats-io/kv');
      const kvm = new Kvm(invites.nc);
      for (const bucket of ['gateway_rate_limits', 'gateway_idempotency']) {
        await kvm.open(`${config.NATS_PREFIX}_${bucket}`).then((kv) => kv.destroy()).catch(() => {});
      }
      await invites.close();
    },
  };
}

export type { FastifyInstance };
