import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { OrgParams, OrgSettings, OrgSettingsPatch, PreviewRequest, RenderedEmail } from '@invite/contracts';
import { renderPreview } from '../preview/email-preview.ts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

/** An organisation's email template, branding and default locale, and a preview of the email (admins and owners). */
export const settingsRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const common = { tags: ['settings'], security: [{ bearer: [] }], params: OrgParams };

  app.get(
    '/v1/orgs/:orgId/settings',
    { schema: { ...common, summary: 'Email template, branding and default locale (null: built-in)', response: { 200: OrgSettings, ...problems(400, 401, 403, 404, 503, 504) } } },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.settings.get', { orgId: request.params.orgId }, callOptions(deps, request, token));
    },
  );

  app.patch(
    '/v1/orgs/:orgId/settings',
    {
      schema: {
        ...common,
        summary: 'Change some settings; absent fields stay as they are, null restores the built-in',
        description: 'Subject and body take the placeholders {{orgName}}, {{inviterName}}, {{role}}, {{link}}, {{expiresAt}}, {{message}}, {{email}}; the body is plain text, paragraphs separated by blank lines.',
        body: OrgSettingsPatch,
        response: { 200: OrgSettings, ...problems(400, 401, 403, 404, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('org.settings.update', { orgId: request.params.orgId, settings: request.body }, callOptions(deps, request, token));
    },
  );

  app.post(
    '/v1/orgs/:orgId/settings/preview',
    {
      schema: {
        ...common,
        summary: 'The invite email as the notifier would send it, with the saved settings overlaid by the given ones (nothing is saved)',
        body: PreviewRequest,
        response: { 200: RenderedEmail, ...problems(400, 401, 403, 404, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      const { orgId } = request.params;
      const options = callOptions(deps, request, token);
      const [saved, me] = await Promise.all([deps.client.call('org.settings.get', { orgId }, options), deps.client.call('auth.me', {}, options)]);
      const settings = { ...saved, ...request.body.settings };
      return renderPreview({
        orgId,
        orgName: me.memberships.find((m) => m.orgId === orgId)?.orgName ?? '',
        inviterName: me.user.name,
        settings,
        locale: request.body.locale ?? settings.defaultLocale,
        appBaseUrl: deps.config.APP_BASE_URL,
        now: new Date(),
      });
    },
  );
};
