import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  BulkInviteReply,
  InviteListQuery,
  InvitePage,
  InviteParams,
  InviteView,
  InviteWithLink,
  maxBulkRows,
  NewInvite,
  OrgParams,
} from '@invite/contracts';
import { rowsFromCsv } from './csv.ts';
import { adminScope, callOptions, idempotent, problems, requireUser, sendResult, type GatewayDeps } from './support.ts';

/** Invites of an organisation (admins and owners). */
export const inviteRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const common = { tags: ['invites'], security: [{ bearer: [] }] };

  app.post(
    '/v1/orgs/:orgId/invites',
    {
      schema: {
        ...common,
        summary: 'Invite someone; the reply is the only place the accept link appears',
        description: 'Send an `Idempotency-Key` header to make retries safe: the first answer is replayed for 24 hours.',
        params: OrgParams,
        body: NewInvite,
        response: { 201: InviteWithLink, ...problems(400, 401, 403, 404, 409, 422, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token, claims } = requireUser(deps, request);
      const { orgId } = request.params;
      const result = await idempotent(deps, request, reply, adminScope(deps, request, token, `${claims.sub}:create:${orgId}`, orgId), async (requestKey) => ({
        status: 201,
        body: await deps.client.call('invite.create', { orgId, invite: request.body, ...(requestKey ? { requestKey } : {}) }, callOptions(deps, request, token)),
      }));
      return sendResult(reply, result);
    },
  );

  app.post(
    '/v1/orgs/:orgId/invites/bulk',
    {
      bodyLimit: deps.config.BULK_BODY_LIMIT_BYTES,
      schema: {
        ...common,
        summary: `Invite up to ${maxBulkRows} people: a JSON array of invites or a CSV file`,
        description:
          'CSV: a header line naming any of email, phone, role, expiresInHours, channels (email;sms, or none: create the invite and send nothing), locale, message, redirectUrl. Every row gets its own result; one bad row does not stop the others.',
        params: OrgParams,
        body: {
          content: {
            'application/json': { schema: Type.Array(Type.Unknown(), { minItems: 1, maxItems: maxBulkRows }) },
            'text/csv': { schema: Type.String({ minLength: 1 }) },
          },
        },
        response: { 200: BulkInviteReply, ...problems(400, 401, 403, 404, 413, 415, 422, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token, claims } = requireUser(deps, request);
      const { orgId } = request.params;
      const body: unknown = request.body;
      const rows = Array.isArray(body) ? body : rowsFromCsv(String(body));
      const deadlineMs = deps.config.UPSTREAM_TIMEOUT_MS * 6;
      const result = await idempotent(deps, request, reply, adminScope(deps, request, token, `${claims.sub}:bulk:${orgId}`, orgId, deadlineMs), async () => ({
        status: 200,
        body: await deps.client.call('invite.bulk', { orgId, rows }, { ...callOptions(deps, request, token), timeoutMs: deadlineMs }),
      }));
      return sendResult(reply, result);
    },
  );

  app.get(
    '/v1/orgs/:orgId/invites',
    {
      schema: {
        ...common,
        summary: 'Invites, newest first, a page at a time',
        params: OrgParams,
        querystring: InviteListQuery,
        response: { 200: InvitePage, ...problems(400, 401, 403, 404, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('invite.list', { orgId: request.params.orgId, ...request.query }, callOptions(deps, request, token));
    },
  );

  app.get(
    '/v1/orgs/:orgId/invites/:inviteId',
    {
      schema: { ...common, summary: 'One invite with its delivery state per channel', params: InviteParams, response: { 200: InviteView, ...problems(400, 401, 403, 404, 503, 504) } },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('invite.get', request.params, callOptions(deps, request, token));
    },
  );

  app.post(
    '/v1/orgs/:orgId/invites/:inviteId/resend',
    {
      schema: {
        ...common,
        summary: 'Send the invite again with a new link (the old one stops working) and a renewed expiry',
        params: InviteParams,
        response: { 200: InviteWithLink, ...problems(400, 401, 403, 404, 409, 429, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('invite.resend', request.params, callOptions(deps, request, token));
    },
  );

  app.delete(
    '/v1/orgs/:orgId/invites/:inviteId',
    {
      schema: { ...common, summary: 'Withdraw a pending invite', params: InviteParams, response: { 200: InviteView, ...problems(400, 401, 403, 404, 409, 503, 504) } },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('invite.withdraw', request.params, callOptions(deps, request, token));
    },
  );
};
