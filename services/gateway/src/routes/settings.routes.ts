import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { OrgParams, OrgSettings, OrgSettingsPatch, PreviewRequest, RenderedEmail } from '@invite/contracts';
import { applySettingsPatch } from '@invite/templates';
import { renderPreview } from '../preview/email-preview.ts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

/** An organisation's email template, branding and default locale, and a preview of the email (admins and owners). */
export const settingsRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const common = { tags: ['settings'], security: [{ bearer: [] }], params: OrgParams };

  app.get(
    '/v1/orgs/:orgId/settings',
    { schema: { ...common, summary: 'Email templates per language, branding and default locale (null or absent: built-in)', response: { 200: OrgSettings, ...problems(400, 401, 403, 404, 503, 504) } } },
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
        description:
          'templates holds the email per language (en, es, de, fr): a language given replaces that language\'s subject and body, absent languages stay, `{subject: null, body: null}` goes back to the built-in email; an invite uses the template of its own language, a language without one the built-in email. emailSubject and emailBody read and write the template of the default language, for clients written before templates per language. Subject and body take the placeholders {{orgName}}, {{inviterName}}, {{role}}, {{link}}, {{expiresAt}}, {{message}}, {{email}}; the body is plain text, paragraphs separated by blank lines.',
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
        summary: 'The invite email as the notifier would send it in `locale` (with that language\'s template), the saved settings overlaid by the given ones as PATCH would (nothing is saved)',
        body: PreviewRequest,
        response: { 200: RenderedEmail, ...problems(400, 401, 403, 404, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      const { orgId } = request.params;
      const options = callOptions(deps, request, token);
      const [saved, me] = await Promise.all([deps.client.call('org.settings.get', { orgId }, options), deps.client.call('auth.me', {}, options)]);
      const settings = applySettingsPatch(saved, request.body.settings ?? {});
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
