import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AcceptInviteReply, AcceptInviteRequest, bearerToken, DeclineInviteReply, InviteLookup, TokenRequest } from '@invite/contracts';
import { callOptions, enforceLimit, problems, type GatewayDeps } from './support.ts';

/**
 * What the holder of an invite link can do. Only POSTs: a link scanner's GET never
 * looks anything up or consumes a token (invariant 5). Limited per client, because
 * these are where tokens would be guessed.
 */
export const tokenRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const rule = { name: 'token', limit: deps.config.TOKEN_LIMIT_PER_15MIN, windowMs: 15 * 60_000 };
  const gone = problems(400, 404, 410, 429, 503, 504);

  app.post(
    '/v1/invites/lookup',
    { schema: { tags: ['invitee'], summary: 'What an invite link is for, before accepting', body: TokenRequest, response: { 200: InviteLookup, ...gone } } },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      return deps.client.call('invite.lookup', request.body, callOptions(deps, request));
    },
  );

  app.post(
    '/v1/invites/accept',
    {
      schema: {
        tags: ['invitee'],
        summary: 'Accept an invite',
        description:
          'With a bearer token, the invite is accepted for that account, whose email must be the invited one. Without one, a new account is created for the invited email from name, username and password.',
        body: AcceptInviteRequest,
        response: { 201: AcceptInviteReply, ...problems(400, 401, 403, 404, 409, 410, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      const token = bearerToken(request.headers.authorization);
      const accepted = await deps.client.call('invite.accept', request.body, callOptions(deps, request, token));
      return reply.code(201).send(accepted);
    },
  );

  app.post(
    '/v1/invites/decline',
    { schema: { tags: ['invitee'], summary: 'Decline an invite', body: TokenRequest, response: { 200: DeclineInviteReply, ...gone } } },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      return deps.client.call('invite.decline', request.body, callOptions(deps, request));
    },
  );
};
