import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AuditListRequest,
  AuditPage,
  InviteParams,
  InviteTimeline,
  MemberPage,
  MemberParams,
  MemberPatch,
  MemberView,
  OrgParams,
  OrgPatch,
  OrgView,
  OwnershipTransfer,
  OwnershipTransferred,
  PageQuery,
  UsageView,
} from '@invite/contracts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

/** The audit log's filters and paging, as query parameters. */
const AuditQuery = Type.Omit(AuditListRequest, ['orgId']);

/**
 * An organisation's members, seat usage and audit log (admins and owners); managing its
 * people and seats (who may do what is decided by the invites service: see its README).
 */
export const orgRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const common = { tags: ['organisations'], security: [{ bearer: [] }], params: OrgParams };

  app.get(
    '/v1/orgs/:orgId/members',
    { schema: { ...common, summary: 'Members, oldest first', querystring: PageQuery, response: { 200: MemberPage, ...problems(400, 401, 403, 404, 503, 504) } } },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.members', { orgId: request.params.orgId, ...request.query }, callOptions(deps, request, token));
    },
  );

  app.get(
    '/v1/orgs/:orgId/usage',
    { schema: { ...common, summary: 'Seats: limit, members, pending invites, available', response: { 200: UsageView, ...problems(400, 401, 403, 404, 503, 504) } } },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.usage', { orgId: request.params.orgId }, callOptions(deps, request, token));
    },
  );

  app.patch(
    '/v1/orgs/:orgId',
    {
      schema: {
        ...common,
        summary: 'Change the seat limit (owners)',
        description: 'Never below the seats in use (members plus pending invites): 409 SEAT_LIMIT_BELOW_USAGE says how many are in use.',
        body: OrgPatch,
        response: { 200: OrgView, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.update', { orgId: request.params.orgId, ...request.body }, callOptions(deps, request, token));
    },
  );

  app.patch(
    '/v1/orgs/:orgId/members/:userId',
    {
      schema: {
        ...common,
        params: MemberParams,
        summary: "Change a member's role",
        description: "Owners change anyone's role; admins change admins' and members' roles, to admin or member (403 ROLE_NOT_ALLOWED above their own, 403 FORBIDDEN for an owner). The last owner cannot be demoted (409 LAST_OWNER).",
        body: MemberPatch,
        response: { 200: MemberView, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.member.update', { ...request.params, ...request.body }, callOptions(deps, request, token));
    },
  );

  app.delete(
    '/v1/orgs/:orgId/members/:userId',
    {
      schema: {
        ...common,
        params: MemberParams,
        summary: 'Remove a member, or leave (your own user id)',
        description:
          "Owners remove anyone, admins remove admins and members, anyone may leave; the last owner cannot (409 LAST_OWNER). The seat is free at once, and the person's next call for this organisation is refused.",
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token } = requireUser(deps, request);
      await deps.client.call('org.member.remove', request.params, callOptions(deps, request, token));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/orgs/:orgId/transfer-ownership',
    {
      schema: {
        ...common,
        summary: 'Make another member owner and become an admin (owners)',
        body: OwnershipTransfer,
        response: { 200: OwnershipTransferred, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.transfer-ownership', { orgId: request.params.orgId, ...request.body }, callOptions(deps, request, token));
    },
  );

  app.get(
    '/v1/orgs/:orgId/invites/:inviteId/timeline',
    {
      schema: {
        ...common,
        tags: ['invites'],
        params: InviteParams,
        summary: 'An invite with its delivery state per channel and what happened to it, from the audit log',
        response: { 200: InviteTimeline, ...problems(400, 401, 403, 404, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('invite.timeline', request.params, callOptions(deps, request, token));
    },
  );

  app.get(
    '/v1/orgs/:orgId/audit',
    {
      schema: {
        ...common,
        summary: 'The audit log, newest first, each entry with a sentence saying what happened',
        description: '`action` keeps one action (`invite.created`) or a family of them ending in a dot (`invite.`, `member.`, `org.`, `webhook.`); `actor` keeps one actor (`user:<id>`, `invitee`, `operator`, `system`).',
        querystring: AuditQuery,
        response: { 200: AuditPage, ...problems(400, 401, 403, 404, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.audit', { orgId: request.params.orgId, ...request.query }, callOptions(deps, request, token));
    },
  );
};
