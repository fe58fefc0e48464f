import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** HTTP request rate, errors and durations by route template (never by raw URL: ids would explode the series). */
export function createHttpMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'gateway_rate_limited_total',
    help: 'Requests refused by a rate limit, by rule',
    labelNames: ['rule'],
    registers: [registry],
  });
  for (const rule of ['login', 'refresh', 'token', 'events']) rateLimited.inc({ rule }, 0);
  return {
    registry,
    rateLimited,
    /** Observes every response once it is sent. */
    register(app: FastifyInstance) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unmatched';
        if (route === '/metrics') return;
        const labels = { method: request.method, route };
        requests.inc({ ...labels, status_code: String(reply.statusCode) });
        duration.observe(labels, reply.elapsedTime / 1000);
      });
    },
  };
}

export type HttpMetrics = ReturnType<typeof createHttpMetrics>;
