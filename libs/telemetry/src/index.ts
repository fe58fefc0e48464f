import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export { SpanKind, type Span };

/**
 * Tracing for every service. The trace context crosses process boundaries as a W3C
 * `traceparent` string: in HTTP headers, in NATS headers, and in outbox rows (so the
 * event published after commit continues the request's trace). Spans are created
 * explicitly at those boundaries; nothing depends on module-loading hooks.
 *
 * Export follows the standard OTEL_* variables. With none of OTEL_TRACES_EXPORTER,
 * OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, no SDK starts
 * and nothing is exported; trace ids still flow from hop to hop. The SDK is imported
 * only when it starts: with every exporter, the metrics and logs pipelines and gRPC
 * that it pulls in, it is some 450 modules and 10 MB of heap in every process.
 */
export interface Telemetry {
  /** Whether spans are recorded and exported. */
  exporting: boolean;
  /** Flushes pending spans and stops the SDK. */
  shutdown(): Promise<void>;
}

let started: Promise<Telemetry> | undefined;

/** Call once at start, before the first span; later calls get the same telemetry. */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  started ??= start(serviceName, env);
  return started;
}

async function start(serviceName: string, env: NodeJS.ProcessEnv): Promise<Telemetry> {
  const configured = ['OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'].some((name) => env[name]);
  // Every hop hands its traceparent on explicitly, so ids flow without an active-span
  // context; tracking that context through every await is paid only when spans are kept.
  if (!configured || env.OTEL_SDK_DISABLED === 'true') {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    return { exporting: false, shutdown: async () => {} };
  }
  // The SDK registers the W3C propagator and an AsyncLocalStorage context manager
  // itself: registering them here first made it log "duplicate registration" errors.
  const { startNodeSdk } = await import('@opentelemetry/sdk-node');
  const sdk = startNodeSdk({
    resourceAttributes: { 'service.name': env.OTEL_SERVICE_NAME ?? serviceName },
    instrumentations: [],
  });
  return { exporting: true, shutdown: () => sdk.shutdown() };
}

const tracer = () => trace.getTracer('invite-platform');

/** The context a `traceparent` string names (the root context when absent or malformed). */
export function contextOf(traceparent: string | undefined | null, tracestate?: string | null): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The `traceparent` of a span (or of the active span), for the next hop. */
export function traceparentOf(span?: Span): string | undefined {
  const ctx = span ? trace.setSpan(context.active(), span) : context.active();
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The remote parent; the active span when absent. */
  parent?: string | undefined;
}

/**
 * Runs `work` inside a new active span: child of `parent` when given (a remote hop),
 * else of the active span. Errors mark the span and are rethrown; it always ends.
 * `work` receives the span's own traceparent for the next hop.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span, traceparent: string | undefined) => Promise<T>): Promise<T> {
  const parent = options.parent !== undefined ? contextOf(options.parent) : context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  const active = trace.setSpan(parent, span);
  try {
    return await context.with(active, () => work(span, traceparentOf(span) ?? options.parent));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    throw error;
  } finally {
    span.end();
  }
}

/** Starts a span that the caller ends (e.g. an HTTP request from onRequest to onResponse). */
export function startSpan(name: string, options: SpanOptions): Span {
  const parent = options.parent !== undefined ? contextOf(options.parent) : context.active();
  return tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
}

/** Marks a span failed without throwing. */
export function markFailed(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
export * from './logger.ts';
export * from './ops-server.ts';
export * from './lifecycle.ts';
