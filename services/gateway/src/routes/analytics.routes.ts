import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AnalyticsView, Day, OrgParams } from '@invite/contracts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

const AnalyticsQuery = Type.Object(
  {
    /** First day, included (UTC), from 1970-01-01 to 2999-12-31 (the invites service checks the calendar and the range). */
    from: Day,
    /** Last day, included (UTC); at most 366 days after from, counting both. */
    to: Day,
  },
  { additionalProperties: false },
);

/** Invite analytics of an organisation (admins and owners). */
export const analyticsRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.get(
    '/v1/orgs/:orgId/analytics',
    {
      schema: {
        tags: ['analytics'],
        security: [{ bearer: [] }],
        summary: 'What became of the invites created from `from` to `to`: funnel and rates, by role, by channel and per day',
        params: OrgParams,
        querystring: AnalyticsQuery,
        response: { 200: AnalyticsView, ...problems(400, 401, 403, 404, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.analytics', { orgId: request.params.orgId, ...request.query }, callOptions(deps, request, token));
    },
  );
};
