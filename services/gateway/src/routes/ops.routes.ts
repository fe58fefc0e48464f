import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GatewayDeps } from './support.ts';

const Status = Type.Object({ status: Type.String() }, { additionalProperties: false });

/** Liveness, readiness and Prometheus metrics. */
export const opsRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  // Probes and scrapes come every few seconds: only trouble with them is worth a log line.
  const logLevel = 'warn';
  app.get('/healthz', { logLevel, schema: { tags: ['ops'], summary: 'The process is up', response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { logLevel, schema: { tags: ['ops'], summary: 'NATS is connected and the invites service answers', response: { 200: Status, 503: Status } } },
    async (_request, reply) => {
      const ready = await deps.ready().catch(() => false);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
    },
  );

  app.get('/metrics', { logLevel, schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
};
