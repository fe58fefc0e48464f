import { DomainError, type FieldError, type OrgSettings, type OrgSettingsPatch, type UpdateOrgSettingsRequest } from '@invite/contracts';
import { emailTemplateOf, unknownPlaceholders } from '@invite/templates';
import { requireRole } from './authorization.ts';
import { recordAudit } from './changes.ts';
import { inTransaction, type Context } from './context.ts';

/** Settings of an organisation that never saved any. */
export const defaultOrgSettings: OrgSettings = { emailSubject: null, emailBody: null, logoUrl: null, accentColor: null, defaultLocale: 'en' };

export interface SettingsRow {
  email_subject: string | null;
  email_body: string | null;
  logo_url: string | null;
  accent_color: string | null;
  default_locale: string;
}

const columns: Record<keyof OrgSettings, keyof SettingsRow> = {
  emailSubject: 'email_subject',
  emailBody: 'email_body',
  logoUrl: 'logo_url',
  accentColor: 'accent_color',
  defaultLocale: 'default_locale',
};
const fields = Object.keys(columns) as (keyof OrgSettings)[];

/** The settings columns of `org_settings s`, for queries that join it (left join: all null when never saved). */
export const settingsColumns = 's.email_subject, s.email_body, s.logo_url, s.accent_color, s.default_locale';

/** Settings from a row of `settingsColumns`; defaults where the org saved nothing. */
export function settingsFromRow(row: Partial<SettingsRow> | undefined): OrgSettings {
  if (!row || row.default_locale == null) return { ...defaultOrgSettings };
  return Object.fromEntries(fields.map((f) => [f, row[columns[f]] ?? null])) as OrgSettings;
}

/** The org's settings, defaults where it saved nothing. No authorisation: for the domain's own use. */
export async function loadOrgSettings(ctx: Context, orgId: string, lock = false): Promise<OrgSettings> {
  const rows = await ctx.em.execute<SettingsRow[]>(
    `select ${settingsColumns} from org_settings s where s.org_id = ?${lock ? ' for update' : ''}`,
    [orgId],
  );
  return settingsFromRow(rows[0]);
}

/** What an invite event carries for the notifier: the template fields, when the org set any. */
export const templateOf = emailTemplateOf;

/** `org.settings.get` (admins and owners). */
export async function getOrgSettings(ctx: Context, orgId: string): Promise<OrgSettings> {
  await requireRole(ctx, orgId, 'admin');
  return loadOrgSettings(ctx, orgId);
}

/** A `{{name}}` that is not a placeholder would reach invitees as is: refuse it now. */
function checkPlaceholders(patch: OrgSettingsPatch): void {
  const errors: FieldError[] = [];
  for (const field of ['emailSubject', 'emailBody'] as const) {
    const unknown = patch[field] ? unknownPlaceholders(patch[field]) : [];
    if (unknown.length) errors.push({ path: `/settings/${field}`, message: `uses unknown placeholders: ${unknown.map((n) => `{{${n}}}`).join(', ')}` });
  }
  if (errors.length) throw new DomainError('VALIDATION_FAILED', { detail: `The template is not valid: ${errors[0]!.path} ${errors[0]!.message}`, errors });
}

/**
 * `org.settings.update` (admins and owners): the fields given change, the others stay.
 * One transaction with its `org.settings.updated` audit entry; a change to nothing writes nothing.
 */
export function updateOrgSettings(ctx: Context, request: UpdateOrgSettingsRequest): Promise<OrgSettings> {
  return inTransaction(ctx, async (tx) => {
    const membership = await requireRole(tx, request.orgId, 'admin');
    checkPlaceholders(request.settings);
    // Lock the row (created empty if missing) so two concurrent updates merge instead of losing one.
    await tx.em.execute(`insert into org_settings (org_id) values (?) on conflict (org_id) do nothing`, [request.orgId]);
    const current = await loadOrgSettings(tx, request.orgId, true);
    const next: OrgSettings = { ...current, ...request.settings };
    const changed = fields.filter((f) => next[f] !== current[f]);
    if (changed.length === 0) return next;
    await tx.em.execute(
      `update org_settings set email_subject = ?, email_body = ?, logo_url = ?, accent_color = ?, default_locale = ?,
              updated_at = now(), updated_by = ? where org_id = ?`,
      [next.emailSubject, next.emailBody, next.logoUrl, next.accentColor, next.defaultLocale, membership.userId, request.orgId],
    );
    recordAudit(tx, request.orgId, 'org.settings.updated', `org:${request.orgId}`, {
      changed,
      settings: Object.fromEntries(changed.map((f) => [f, next[f]])),
    });
    return next;
  });
}
