import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DomainError } from '@invite/contracts';
import { trustProxy } from './config.ts';
import { isClientError, toProblem } from './http/problem.ts';
import { registerTracing } from './http/trace.ts';
import { malformedQueryErrors, validatorCompiler } from './http/validation.ts';
import { analyticsRoutes } from './routes/analytics.routes.ts';
import { authRoutes } from './routes/auth.routes.ts';
import { channelRoutes } from './routes/channels.routes.ts';
import { devMailboxRoutes } from './routes/dev-mailbox.routes.ts';
import { consoleRoutes } from './routes/console.routes.ts';
import { eventRoutes } from './routes/events.routes.ts';
import { inboxRoutes } from './routes/inbox.routes.ts';
import { inviteRoutes } from './routes/invites.routes.ts';
import { joinLinkRoutes } from './routes/join-links.routes.ts';
import { opsRoutes } from './routes/ops.routes.ts';
import { orgRoutes } from './routes/orgs.routes.ts';
import { pageRoutes } from './routes/page.routes.ts';
import { settingsRoutes } from './routes/settings.routes.ts';
import type { GatewayDeps } from './routes/support.ts';
import { tokenRoutes } from './routes/token.routes.ts';
import { webhookRoutes } from './routes/webhooks.routes.ts';

const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** Answers `error` as a problem (toProblem), logged as a client's mistake, an outage, or with its cause. */
function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error, request.id);
  const fields = { code: problem.body.code, status: problem.status };
  if (isClientError(error)) request.log.info(fields, problem.body.detail);
  // A service or database that is down answers every request with the same 503: one warning line each, not a stack trace.
  else if (problem.body.code === 'SERVICE_UNAVAILABLE') request.log.warn(fields, problem.body.detail);
  else request.log.error({ err: error }, 'request failed');
  return reply.code(problem.status).headers(problem.headers).send(problem.body);
}

/**
 * Builds the gateway: security headers, strict validation, the one error mapping,
 * OpenAPI at /docs, the API routes, the accept page and ops endpoints. Never listens:
 * server.ts does, and tests use `inject` or their own port.
 */
export async function buildGateway(deps: GatewayDeps, options: { logger?: boolean | object } = {}) {
  const { config } = deps;
  const app = Fastify({
    logger: options.logger ?? {
      level: config.LOG_LEVEL,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["idempotency-key"]', 'res.headers["set-cookie"]'],
        censor: '[redacted]',
      },
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxy(config.TRUST_PROXY),
    // false: fastify would otherwise take any incoming x-request-id as is and never call genReqId,
    // which is where an incoming id is checked (echoed in a header, written to logs).
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // A path the router cannot decode (`%FF`) or a parameter longer than any id: no hook
    // runs for these, so the problem and the headers every reply carries are set here.
    frameworkErrors: (error, request, reply) => {
      reply.headers({ 'x-request-id': request.id, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
      sendProblem(error, request, reply);
    },
    return503OnClosing: true,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // JSON everywhere, CSV for bulk uploads; fastify's built-in text/plain parser would let any text through (415 instead).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // API replies carry tokens, accept links and personal data: no browser or proxy may
    // keep them. Set first, so a route with a policy of its own replaces it.
    if (request.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
  });
  registerTracing(app);
  // The query parser keeps a value it cannot decode as it is: refuse it before anything reads the query.
  app.addHook('preValidation', async (request) => {
    const errors = malformedQueryErrors(request.url);
    const first = errors[0];
    if (first) throw new DomainError('VALIDATION_FAILED', { detail: `The request is not valid: ${first.path} ${first.message}`, errors });
  });

  app.setErrorHandler(sendProblem);
  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem(new DomainError('NOT_FOUND', { detail: `No route ${request.method} ${request.url.split('?')[0]}` }), request.id);
    return reply.code(404).headers(problem.headers).send(problem.body);
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      // The API answers JSON only: nothing may load. /docs, /invite and /console set their own policies.
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    strictTransportSecurity: config.APP_BASE_URL.startsWith('https://') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  deps.metrics.register(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Invite platform API',
        version: '1.0.0',
        description: 'Invite people by email and SMS, accept by link, track every delivery. Errors are application/problem+json.',
      },
      servers: [{ url: config.APP_BASE_URL }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } });

  await app.register(authRoutes, { deps });
  await app.register(inviteRoutes, { deps });
  await app.register(orgRoutes, { deps });
  await app.register(analyticsRoutes, { deps });
  await app.register(settingsRoutes, { deps });
  await app.register(webhookRoutes, { deps });
  await app.register(eventRoutes, { deps });
  await app.register(tokenRoutes, { deps });
  await app.register(joinLinkRoutes, { deps });
  await app.register(inboxRoutes, { deps });
  await app.register(pageRoutes);
  await app.register(consoleRoutes, { minify: config.NODE_ENV === 'production' });
  await app.register(channelRoutes, { deps });
  await app.register(opsRoutes, { deps });
  if (config.NODE_ENV === 'development') await app.register(devMailboxRoutes, { deps });
  return app;
}
