import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isDomainError, OrgParams, type ConsoleEvent } from '@invite/contracts';
import { createEventHub } from '../events/event-hub.ts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

/** Reconnect delay the browser is told to use (the SSE `retry:` field). */
const retryMs = 3000;
/** A client that lets this much pile up unread is cut off rather than buffered forever. */
const maxBufferedBytes = 1024 * 1024;

/**
 * `GET /v1/orgs/:orgId/events`: the org's invite and delivery events as server-sent
 * events, for the console. The bearer header authenticates (the console reads the stream
 * with fetch; EventSource cannot send headers). Access is checked by the invites service
 * itself (org.settings.get: admins and owners) before the stream opens and every
 * SSE_RECHECK_MS while it is open; the stream ends when access is gone (a demotion, a
 * logout, an expired token: the console reconnects with a fresh one). Events are live
 * only: a reconnect does not replay what was missed (Last-Event-ID is ignored), so the
 * console re-reads the list after reconnecting.
 */
export const eventRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const { config } = deps;
  const hub = createEventHub(deps.nc, deps.names, config.SSE_MAX_STREAMS);
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
          ...problems(401, 403, 404, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { token } = requireUser(deps, request);
      const { orgId } = request.params;
      const slot = hub.reserve();
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
      const send = (event: ConsoleEvent) => {
        if (closed) return;
        if (res.writableLength > maxBufferedBytes) return close('slow-consumer');
        res.write(`event: invite\nid: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), config.SSE_HEARTBEAT_MS);
      const recheck = setInterval(() => {
        authorise().catch((error: unknown) => {
          // Only a refusal ends the stream; a slow or absent invites service is not a reason.
          if (isDomainError(error) && [401, 403, 404].includes(error.status)) close(error.code);
        });
      }, config.SSE_RECHECK_MS);
      const detach = slot.attach(orgId, send, () => close('server-closing'));

      function close(reason: string) {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        clearInterval(recheck);
        detach();
        if (!res.writableEnded) {
          if (!res.destroyed) res.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
          res.end();
        }
        request.log.debug({ orgId, reason }, 'event stream closed');
      }
      res.on('close', () => close('client-disconnected'));
    },
  );
};
