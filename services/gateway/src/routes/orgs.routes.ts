import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditPage, MemberPage, OrgParams, PageQuery, UsageView } from '@invite/contracts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

/** An organisation's members, seat usage and audit log (admins and owners). */
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

  app.get(
    '/v1/orgs/:orgId/audit',
    { schema: { ...common, summary: 'The audit log, newest first', querystring: PageQuery, response: { 200: AuditPage, ...problems(400, 401, 403, 404, 503, 504) } } },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.audit', { orgId: request.params.orgId, ...request.query }, callOptions(deps, request, token));
    },
  );
};
