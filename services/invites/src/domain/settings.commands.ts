import { DomainError, templateLocales, type LocaleTemplates, type OrgSettings, type TemplateLocale, type UpdateOrgSettingsRequest } from '@invite/contracts';
import { applySettingsPatch, emailTemplateOf, templatePlaceholderErrors, withDefaultTemplate } from '@invite/templates';
import { requireRole } from './authorization.ts';
import { recordAudit } from './changes.ts';
import { inTransaction, type Context } from './context.ts';
import { normaliseRedirectOrigins } from './redirects.ts';

/** Settings of an organisation that never saved any. */
export const defaultOrgSettings: OrgSettings = { emailSubject: null, emailBody: null, templates: {}, logoUrl: null, accentColor: null, defaultLocale: 'en', redirectOrigins: [] };

export interface SettingsRow {
  email_templates: LocaleTemplates | null;
  logo_url: string | null;
  accent_color: string | null;
  default_locale: string;
  redirect_origins: string[] | null;
}

/** Stored fields; `emailSubject` and `emailBody` are the default language's template, derived. */
const columns: Record<Exclude<keyof OrgSettings, 'emailSubject' | 'emailBody'>, keyof SettingsRow> = {
  templates: 'email_templates',
  logoUrl: 'logo_url',
  accentColor: 'accent_color',
  defaultLocale: 'default_locale',
  redirectOrigins: 'redirect_origins',
};
const fields = Object.keys(columns) as (keyof typeof columns)[];

/** The settings columns of `org_settings s`, for queries that join it (left join: all null when never saved). */
export const settingsColumns = 's.email_templates, s.logo_url, s.accent_color, s.default_locale, s.redirect_origins';

/** Settings from a row of `settingsColumns`; defaults where the org saved nothing. */
export function settingsFromRow(row: Partial<SettingsRow> | undefined): OrgSettings {
  if (!row || row.default_locale == null) return { ...defaultOrgSettings };
  const stored = Object.fromEntries(fields.map((f) => [f, row[columns[f]] ?? null])) as Omit<OrgSettings, 'emailSubject' | 'emailBody'>;
  return withDefaultTemplate({ ...stored, templates: stored.templates ?? {} });
}

/** The org's settings, defaults where it saved nothing. No authorisation: for the domain's own use. */
export async function loadOrgSettings(ctx: Context, orgId: string, lock = false): Promise<OrgSettings> {
  const rows = await ctx.em.execute<SettingsRow[]>(
    `select ${settingsColumns} from org_settings s where s.org_id = ?${lock ? ' for update' : ''}`,
    [orgId],
  );
  return settingsFromRow(rows[0]);
}

/** What an invite event carries for the notifier: the template of the invite's language and the branding, when the org set any. */
export const templateOf = emailTemplateOf;

/** `org.settings.get` (admins and owners). */
export async function getOrgSettings(ctx: Context, orgId: string): Promise<OrgSettings> {
  await requireRole(ctx, orgId, 'admin');
  return loadOrgSettings(ctx, orgId);
}

/** The languages whose template differs between two settings. */
function changedTemplates(current: OrgSettings, next: OrgSettings): TemplateLocale[] {
  return templateLocales.filter((l) => JSON.stringify(current.templates[l] ?? null) !== JSON.stringify(next.templates[l] ?? null));
}

/**
 * `org.settings.update` (admins and owners): the fields given change, the others stay;
 * templates change per language, `emailSubject`/`emailBody` write the default language's.
 * One transaction with its `org.settings.updated` audit entry; a change to nothing writes nothing.
 */
export function updateOrgSettings(ctx: Context, request: UpdateOrgSettingsRequest): Promise<OrgSettings> {
  return inTransaction(ctx, async (tx) => {
    const membership = await requireRole(tx, request.orgId, 'admin');
    // A `{{name}}` that is not a placeholder would reach invitees as is: refuse it now.
    const unknown = templatePlaceholderErrors(request.settings);
    if (unknown) throw new DomainError('VALIDATION_FAILED', unknown);
    if (request.settings.redirectOrigins) request.settings.redirectOrigins = normaliseRedirectOrigins(tx, request.settings.redirectOrigins);
    // Lock the row (created empty if missing) so two concurrent updates merge instead of losing one.
    await tx.em.execute(`insert into org_settings (org_id) values (?) on conflict (org_id) do nothing`, [request.orgId]);
    const current = await loadOrgSettings(tx, request.orgId, true);
    const next = applySettingsPatch(current, request.settings);
    const changed = fields.filter((f) => JSON.stringify(next[f]) !== JSON.stringify(current[f]));
    if (changed.length === 0) return next;
    await tx.em.execute(
      `update org_settings set email_templates = ?::jsonb, logo_url = ?, accent_color = ?, default_locale = ?,
              updated_at = now(), updated_by = ? where org_id = ?`,
      [JSON.stringify(next.templates), next.logoUrl, next.accentColor, next.defaultLocale, membership.userId, request.orgId],
    );
    if (changed.includes('redirectOrigins')) {
      await tx.em.execute(`update org_settings set redirect_origins = ?::jsonb where org_id = ?`, [JSON.stringify(next.redirectOrigins), request.orgId]);
    }
    const templates = changedTemplates(current, next);
    recordAudit(tx, request.orgId, 'org.settings.updated', `org:${request.orgId}`, {
      changed,
      settings: Object.fromEntries(changed.map((f) => [f, f === 'templates' ? Object.fromEntries(templates.map((l) => [l, next.templates[l] ?? null])) : next[f]])),
      ...(templates.length ? { templates } : {}),
    });
    return next;
  });
}
