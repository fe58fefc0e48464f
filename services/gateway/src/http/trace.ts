import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { markFailed, SpanKind, startSpan, traceparentOf, type Span } from '@invite/telemetry';

const spans = new WeakMap<FastifyRequest, Span>();
const traceparentPattern = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * One server span per HTTP request, continuing the caller's W3C trace context when it
 * sent one. Its traceparent is what the request carries on to the invites service.
 */
export function registerTracing(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.traceparent;
    const parent = typeof header === 'string' && traceparentPattern.test(header.trim()) ? header.trim() : undefined;
    spans.set(request, startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, { kind: SpanKind.SERVER, parent, attributes: { 'http.request.method': request.method } }));
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (request.routeOptions.url) span.setAttribute('http.route', request.routeOptions.url);
    if (reply.statusCode >= 500) markFailed(span, `HTTP ${reply.statusCode}`);
    span.end();
  });
}

/**
 * The traceparent a request passes on: its span's, or, when no tracing SDK records
 * spans, the caller's or a fresh one, so trace ids still correlate the logs of every hop.
 */
export function traceparentFor(request: FastifyRequest): string {
  const span = spans.get(request);
  const fromSpan = span ? traceparentOf(span) : undefined;
  if (fromSpan) return fromSpan;
  const header = request.headers.traceparent;
  if (typeof header === 'string' && traceparentPattern.test(header.trim())) return header.trim();
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
