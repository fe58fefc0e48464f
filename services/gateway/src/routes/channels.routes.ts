import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Kvm, type KV } from '@nats-io/kv';
import { ChannelsStatus, matches } from '@invite/contracts';
import { problems, requireUser, type GatewayDeps } from './support.ts';

/** Until a notifier has said otherwise, both channels are taken to work. */
const unknown: ChannelsStatus = {
  email: { available: true, provider: 'unknown', reason: null },
  sms: { available: true, provider: 'unknown', reason: null },
  updatedAt: null,
};

/** GET /v1/channels: which delivery channels this deployment can send on, as its notifier reported at start. */
export const channelRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  let bucket: Promise<KV> | undefined;
  const open = () =>
    (bucket ??= new Kvm(deps.nc).open(deps.names.serviceStatus).catch((error: unknown) => {
      bucket = undefined;
      throw error;
    }));

  app.get(
    '/v1/channels',
    {
      schema: {
        tags: ['invites'],
        security: [{ bearer: [] }],
        summary: 'Which delivery channels can send here; a channel that cannot says why',
        description: 'What the notifier configured at its last start. A channel that is not available records its deliveries as not sent.',
        response: { 200: ChannelsStatus, ...problems(401) },
      },
    },
    async (request) => {
      requireUser(deps, request);
      try {
        const entry = await (await open()).get('notifier.channels');
        const value: unknown = entry?.operation === 'PUT' ? entry.json() : undefined;
        return matches(ChannelsStatus, value) ? value : unknown;
      } catch {
        return unknown; // No notifier has started on this NATS yet.
      }
    },
  );
};
