import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AcceptInviteReply,
  AcceptInviteRequest,
  AddressCodeSent,
  AddressConfirmed,
  bearerToken,
  ConfirmAddressRequest,
  DeclineInviteReply,
  InviteLookup,
  LookupInviteRequest,
  TokenRequest,
} from '@invite/contracts';
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
    {
      schema: {
        tags: ['invitee'],
        summary: 'What an invite link is for, before accepting',
        description:
          'Whether the invited address has an account (`accountExists`) is told only with a valid `proof` (from the emailed link, or from a confirmed code); otherwise it is null, so a copy of the link held by anyone else, the inviter included, reveals nothing.',
        body: LookupInviteRequest,
        response: { 200: InviteLookup, ...gone },
      },
    },
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
          'With a bearer token, the invite is accepted for that account, whose email must be the invited one; any copy of the link will do. Without one, a new account is created for the invited email from name, username and password, and only with the address `proof` (from the emailed link, or from POST /v1/invites/verify-email/confirm): 403 ADDRESS_NOT_VERIFIED otherwise.',
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
    '/v1/invites/verify-email',
    {
      schema: {
        tags: ['invitee'],
        summary: 'Email a six-digit code to the invited address',
        description:
          'For a holder of the link who did not get it by email (an SMS, a copy from the inviter) and wants to create an account: the code, typed back to POST /v1/invites/verify-email/confirm, proves the address. It works for ADDRESS_CODE_TTL_MINUTES (10); an invite gets at most a few codes a day, one every ADDRESS_CODE_COOLDOWN_SECONDS (429 RATE_LIMITED with Retry-After).',
        body: TokenRequest,
        response: { 202: AddressCodeSent, ...gone },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      const sent = await deps.client.call('invite.address.send-code', request.body, callOptions(deps, request));
      return reply.code(202).send(sent);
    },
  );

  app.post(
    '/v1/invites/verify-email/confirm',
    {
      schema: {
        tags: ['invitee'],
        summary: 'Type back the emailed code; get the address proof',
        description:
          'The newest code of the invite buys the address `proof` to send with lookup and accept, and says whether the address already has an account (then sign in to accept). A wrong code is 403 VERIFICATION_CODE_INVALID and counts against it (a failed proof, recorded in the audit log); an expired, used or too often tried code is 410 VERIFICATION_CODE_EXPIRED.',
        body: ConfirmAddressRequest,
        response: { 200: AddressConfirmed, ...problems(400, 403, 404, 410, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      return deps.client.call('invite.address.confirm', request.body, callOptions(deps, request));
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
