import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isDomainError, OrgParams, type ConsoleEvent } from '@invite/contracts';
import { createEventHub, type StreamSlot } from '../events/event-hub.ts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

/** Reconnect delay the browser is told to use (the SSE `retry:` field). */
const retryMs = 3000;
/**
 * A client that lets this much pile up unread is cut off rather than buffered forever:
 * nothing is written past it, so a stream never holds more than this and one frame.
 */
const maxBufferedBytes = 1024 * 1024;

/**
 * `GET /v1/orgs/:orgId/events`: the org's invite and delivery events as server-sent
 * events, for the console. The bearer header authenticates (the console reads the stream
 * with fetch; EventSource cannot send headers). Access is checked by the invites service
 * itself (org.settings.get: admins and owners) before the stream opens, every
 * SSE_RECHECK_MS while it is open, and at once when the org's events say the caller's
 * role changed or they were removed; the stream ends when access is gone (a demotion, a
 * logout, an expired token: the console reconnects with a fresh one). Events are live
 * only: a reconnect does not replay what was missed (Last-Event-ID is ignored), so the
 * console re-reads the list after reconnecting. Streams are capped per user, per org
 * and per process (SSE_MAX_STREAMS_PER_USER, SSE_MAX_STREAMS_PER_ORG, SSE_MAX_STREAMS).
 */
export const eventRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const { config } = deps;
  const hub = createEventHub(deps.nc, deps.names, {
    total: config.SSE_MAX_STREAMS,
    perUser: config.SSE_MAX_STREAMS_PER_USER,
    perOrg: config.SSE_MAX_STREAMS_PER_ORG,
  });
  // preClose: an open stream would otherwise keep server.close() waiting for ever.
  app.addHook('preClose', async () => hub.close());

  app.get(
    '/v1/orgs/:orgId/events',
    {
      schema: {
        tags: ['console'],
        security: [{ bearer: [] }],
        summary: "The organisation's invite and delivery events, live (server-sent events)",
        description:
          'text/event-stream of `event: invite` frames whose `data` is a ConsoleEvent, with `id:` the event id; a comment every 15 s keeps proxies from closing it. Admins and owners only.',
        params: OrgParams,
        response: {
          200: { description: 'The event stream', content: { 'text/event-stream': { schema: Type.String() } } },
          ...problems(400, 401, 403, 404, 429, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { token, claims } = requireUser(deps, request);
      const { orgId } = request.params;
      let slot: StreamSlot;
      try {
        slot = hub.reserve(claims.sub, orgId);
      } catch (error) {
        if (isDomainError(error, 'RATE_LIMITED')) deps.metrics.rateLimited.inc({ rule: 'events' });
        throw error;
      }
      const authorise = () => deps.client.call('org.settings.get', { orgId }, callOptions(deps, request, token));
      try {
        await authorise();
      } catch (error) {
        slot.release();
        throw error;
      }

      reply.hijack();
      const res = reply.raw;
      // The headers set so far (security headers, x-request-id) go out with the stream.
      const headers = Object.fromEntries(Object.entries(reply.getHeaders()).filter((entry): entry is [string, string | number | string[]] => entry[1] !== undefined));
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: ${retryMs}\n: connected\n\n`);

      let closed = false;
      // Every write goes through here: what the client has not read yet (ours and the
      // socket's buffers) is checked first, heartbeats included.
      const write = (frame: string) => {
        if (closed) return;
        if (res.writableLength > maxBufferedBytes) return close('slow-consumer');
        res.write(frame);
      };
      const send = (event: ConsoleEvent) => write(`event: invite\nid: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), config.SSE_HEARTBEAT_MS);
      const checkAccess = () => {
        authorise().catch((error: unknown) => {
          // Only a refusal ends the stream; a slow or absent invites service is not a reason.
          if (isDomainError(error) && [401, 403, 404].includes(error.status)) close(error.code);
        });
      };
      const recheck = setInterval(checkAccess, config.SSE_RECHECK_MS);
      // A role change or removal of this user in this org is checked at once.
      const detach = slot.attach(send, () => close('server-closing'), checkAccess);

      function close(reason: string) {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        clearInterval(recheck);
        detach();
        // A client that stopped reading would never see an end frame: drop the connection,
        // and the backlog with it, at once.
        if (reason === 'slow-consumer') res.destroy();
        else if (!res.writableEnded) {
          if (!res.destroyed) res.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
          res.end();
        }
        request.log.debug({ orgId, reason }, 'event stream closed');
      }
      res.on('close', () => close('client-disconnected'));
    },
  );
};
