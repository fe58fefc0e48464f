import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AcceptInviteReply,
  AddressCodeSent,
  bearerToken,
  JoinAddressConfirmed,
  JoinCodeRequest,
  JoinConfirmRequest,
  JoinLinkList,
  JoinLinkParams,
  JoinLinkPatch,
  JoinLinkView,
  JoinLinkWithUrl,
  JoinLookup,
  JoinLookupRequest,
  JoinRequest,
  NewJoinLink,
  OrgParams,
} from '@invite/contracts';
import { adminScope, callOptions, enforceLimit, idempotent, problems, requireUser, sendResult, type GatewayDeps } from './support.ts';

/**
 * Join links: an organisation's admins and owners create, list, pause, resume and
 * revoke them; their holders look at one and join through it. The holder's routes are
 * POSTs with the token in the body (the join page reads it from the URL fragment, so it
 * reaches no log), limited per client with the same budget as invite tokens.
 */
export const joinLinkRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const common = { tags: ['join links'], security: [{ bearer: [] }] };
  const errors = problems(400, 401, 403, 404, 503, 504);

  app.post(
    '/v1/orgs/:orgId/join-links',
    {
      schema: {
        ...common,
        params: OrgParams,
        summary: 'Create a join link; the reply is the only place its URL (with the token) appears',
        description:
          'The role is member or admin, never above your own (403 ROLE_NOT_ALLOWED). `maxUses` caps the joins (absent: as many as the seats allow); ' +
          '`expiresInHours` defaults to a week (at most 90 days); `allowedDomains` limits who may join by the domain of their email address (empty: any). ' +
          'Only the token\'s SHA-256 is kept: the URL cannot be shown again; revoke a lost link and create another. ' +
          'Send an `Idempotency-Key` header to make retries safe: the first answer (with its URL) is replayed for 24 hours instead of a second link being made.',
        body: NewJoinLink,
        response: { 201: JoinLinkWithUrl, ...problems(400, 401, 403, 404, 409, 422, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token, claims } = requireUser(deps, request);
      const { orgId } = request.params;
      const result = await idempotent(deps, request, reply, adminScope(deps, request, token, `${claims.sub}:join-link:${orgId}`, orgId), async () => ({
        status: 201,
        body: await deps.client.call('join-link.create', { orgId, ...request.body }, callOptions(deps, request, token)),
      }));
      return sendResult(reply, result);
    },
  );

  app.get(
    '/v1/orgs/:orgId/join-links',
    {
      schema: {
        ...common,
        params: OrgParams,
        summary: 'The organisation\'s join links, newest first: state, uses, cap, expiry, domains, creator (never the token)',
        response: { 200: JoinLinkList, ...errors },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('join-link.list', { orgId: request.params.orgId }, callOptions(deps, request, token));
    },
  );

  app.get(
    '/v1/orgs/:orgId/join-links/:joinLinkId',
    { schema: { ...common, params: JoinLinkParams, summary: 'One join link', response: { 200: JoinLinkView, ...errors } } },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('join-link.get', request.params, callOptions(deps, request, token));
    },
  );

  app.patch(
    '/v1/orgs/:orgId/join-links/:joinLinkId',
    {
      schema: {
        ...common,
        params: JoinLinkParams,
        summary: 'Pause (`{"paused": true}`) or resume (`{"paused": false}`) a join link',
        description: 'A paused link refuses joins with 409 JOIN_LINK_PAUSED until it resumes. A revoked link cannot be resumed: 409 JOIN_LINK_ALREADY_REVOKED.',
        body: JoinLinkPatch,
        response: { 200: JoinLinkView, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('join-link.update', { ...request.params, ...request.body }, callOptions(deps, request, token));
    },
  );

  app.delete(
    '/v1/orgs/:orgId/join-links/:joinLinkId',
    {
      schema: {
        ...common,
        params: JoinLinkParams,
        summary: 'Revoke a join link: it stops working for good (410 JOIN_LINK_REVOKED for its holders); the reply is the link, revoked',
        response: { 200: JoinLinkView, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('join-link.revoke', request.params, callOptions(deps, request, token));
    },
  );

  const rule = { name: 'token', limit: deps.config.TOKEN_LIMIT_PER_15MIN, windowMs: 15 * 60_000 };
  const holder = { tags: ['join links'] };

  app.post(
    '/v1/join-links/lookup',
    {
      schema: {
        ...holder,
        summary: 'What a join link is for, before joining: organisation, logo, role, whether it works now and why not, the domain rule',
        description:
          'Never changes anything. A paused, revoked, expired or used-up link is still described (`usable: false`, with `unusableCode` and `unusableReason`); ' +
          'an unknown token is 404 JOIN_LINK_NOT_FOUND. With a bearer token, `you` says whether that account\'s address may join and whether it is a member already.',
        body: JoinLookupRequest,
        response: { 200: JoinLookup, ...problems(400, 401, 404, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      return deps.client.call('join.lookup', request.body, callOptions(deps, request, bearerToken(request.headers.authorization)));
    },
  );

  app.post(
    '/v1/join-links/join',
    {
      schema: {
        ...holder,
        summary: 'Join the organisation through a join link',
        description:
          'With a bearer token, that account joins. Without one, an account is created for `email` from name, username and password, and only with the `proof` from ' +
          'POST /v1/join-links/verify-email/confirm (403 ADDRESS_NOT_VERIFIED otherwise; 409 ACCOUNT_EXISTS when the address has an account: sign in instead). ' +
          'The address must be at an allowed domain (403 EMAIL_DOMAIN_NOT_ALLOWED, naming them). Each join takes a seat (409 SEAT_LIMIT_REACHED) and one use; ' +
          '409 ALREADY_MEMBER, 409 JOIN_LINK_PAUSED, 410 JOIN_LINK_REVOKED, JOIN_LINK_EXPIRED or JOIN_LINK_USED_UP.',
        body: JoinRequest,
        response: { 201: AcceptInviteReply, ...problems(400, 401, 403, 404, 409, 410, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      const joined = await deps.client.call('join.join', request.body, callOptions(deps, request, bearerToken(request.headers.authorization)));
      return reply.code(201).send(joined);
    },
  );

  app.post(
    '/v1/join-links/verify-email',
    {
      schema: {
        ...holder,
        summary: 'Email a six-digit code to the address you want to join with (to create an account)',
        description:
          'The address must be at an allowed domain (403 EMAIL_DOMAIN_NOT_ALLOWED). The code works for ADDRESS_CODE_TTL_MINUTES (10); an address gets at most a few codes a day ' +
          'per link, one every ADDRESS_CODE_COOLDOWN_SECONDS (429 RATE_LIMITED with Retry-After).',
        body: JoinCodeRequest,
        response: { 202: AddressCodeSent, ...problems(400, 403, 404, 409, 410, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      return reply.code(202).send(await deps.client.call('join.send-code', request.body, callOptions(deps, request)));
    },
  );

  app.post(
    '/v1/join-links/verify-email/confirm',
    {
      schema: {
        ...holder,
        summary: 'Type back the emailed code; get the proof to create an account with',
        description:
          'The newest code for this link and address buys the `proof` to send with POST /v1/join-links/join, and says whether the address has an account already ' +
          '(then sign in and join). A wrong code is 403 VERIFICATION_CODE_INVALID and counts against it; an expired, used or too often tried code is 410 VERIFICATION_CODE_EXPIRED.',
        body: JoinConfirmRequest,
        response: { 200: JoinAddressConfirmed, ...problems(400, 403, 404, 409, 410, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, rule, request, reply);
      return deps.client.call('join.confirm-code', request.body, callOptions(deps, request));
    },
  );
};
