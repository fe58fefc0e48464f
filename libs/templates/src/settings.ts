import {
  DomainError,
  templateLanguageNames,
  templateLocales,
  type EmailTemplate,
  type FieldError,
  type LocaleTemplate,
  type LocaleTemplates,
  type OrgSettings,
  type OrgSettingsPatch,
  type TemplateLocale,
} from '@invite/contracts';
import { localeChain } from './locales.ts';
import { unknownPlaceholders } from './org-template.ts';

const isTemplateLocale = (locale: string): locale is TemplateLocale => (templateLocales as readonly string[]).includes(locale);

/**
 * The template language of an invite's locale: `de-AT` → `de`; a language without a
 * built-in email (`pt-BR`) → `en`, the language its email is written in.
 */
export function templateLocaleOf(locale: string): TemplateLocale {
  return localeChain(locale).find(isTemplateLocale) ?? 'en';
}

/** The templates that say something, in `templateLocales` order: a language whose subject and body are both null has none. */
function customisedOnly(templates: LocaleTemplates): LocaleTemplates {
  const kept: LocaleTemplates = {};
  for (const locale of templateLocales) {
    const template = templates[locale];
    if (template && (template.subject !== null || template.body !== null)) kept[locale] = { subject: template.subject, body: template.body };
  }
  return kept;
}

/**
 * Settings as the API gives them: the templates that say something, each `{subject, body}`
 * in that order, and `emailSubject`/`emailBody` (the fields of clients written before
 * templates per language) from the default language's template.
 */
export function withDefaultTemplate<T extends Omit<OrgSettings, 'emailSubject' | 'emailBody'>>(settings: T): T & Pick<OrgSettings, 'emailSubject' | 'emailBody'> {
  const templates = customisedOnly(settings.templates);
  const template = templates[templateLocaleOf(settings.defaultLocale)];
  return { ...settings, templates, emailSubject: template?.subject ?? null, emailBody: template?.body ?? null };
}

/**
 * The settings after a patch. `templates` change per language (absent languages stay);
 * `emailSubject` and `emailBody` write the template of the default language (after the
 * patch). A patch that gives a field both ways, differently, keeps the one that differs
 * from the saved value (the other is an echo of what the client read); if both differ,
 * the patch is refused.
 */
export function applySettingsPatch(current: OrgSettings, patch: OrgSettingsPatch): OrgSettings {
  const { emailSubject, emailBody, templates: changes, ...rest } = patch;
  const next = { ...current, ...rest };
  const templates: LocaleTemplates = { ...current.templates };
  for (const locale of templateLocales) {
    const change = changes?.[locale];
    if (change) templates[locale] = { subject: change.subject, body: change.body };
  }
  const language = templateLocaleOf(next.defaultLocale);
  const entry: LocaleTemplate = { subject: templates[language]?.subject ?? null, body: templates[language]?.body ?? null };
  for (const [field, legacy, value] of [
    ['subject', 'emailSubject', emailSubject],
    ['body', 'emailBody', emailBody],
  ] as const) {
    if (value === undefined) continue;
    const given = changes?.[language];
    const saved = current.templates[language]?.[field] ?? null;
    if (given && given[field] !== value) {
      if (value === saved) continue;
      if (given[field] !== saved) {
        const detail = `${legacy} and templates.${language}.${field} both change the ${field} of the ${templateLanguageNames[language]} template, differently: send only one of them`;
        throw new DomainError('VALIDATION_FAILED', { detail, errors: [{ path: `/settings/${legacy}`, message: `differs from templates.${language}.${field}; send only one of them` }] });
      }
    }
    entry[field] = value;
  }
  templates[language] = entry;
  return withDefaultTemplate({ ...next, templates });
}

/** `{{names}}` that are not placeholders, in every template of a patch: they would reach invitees as written. */
export function templatePlaceholderErrors(patch: OrgSettingsPatch): { errors: FieldError[]; detail: string } | undefined {
  const errors: FieldError[] = [];
  let detail: string | undefined;
  const check = (text: string | null | undefined, path: string, where: string) => {
    const unknown = text ? unknownPlaceholders(text) : [];
    if (unknown.length === 0) return;
    const message = `uses unknown placeholders: ${unknown.map((n) => `{{${n}}}`).join(', ')}`;
    errors.push({ path, message });
    detail ??= `${where} ${message}`;
  };
  for (const field of ['emailSubject', 'emailBody'] as const) check(patch[field], `/settings/${field}`, `The template is not valid: /settings/${field}`);
  for (const locale of templateLocales) {
    for (const field of ['subject', 'body'] as const) {
      check(patch.templates?.[locale]?.[field], `/settings/templates/${locale}/${field}`, `The ${templateLanguageNames[locale]} template is not valid: its ${field}`);
    }
  }
  return detail ? { errors, detail } : undefined;
}

/**
 * The part of an organisation's settings that shapes an invite's email, as its events
 * carry it: the template of the invite's language (another language's never stands in)
 * and the branding; undefined when none of it is set. The invites service (events) and
 * the gateway (preview) both derive it here, so the preview is what the notifier renders.
 */
export function emailTemplateOf(settings: Pick<OrgSettings, 'templates' | 'logoUrl' | 'accentColor'>, locale: string): EmailTemplate | undefined {
  const { logoUrl, accentColor } = settings;
  const template = settings.templates[templateLocaleOf(locale)];
  const subject = template?.subject ?? null;
  const body = template?.body ?? null;
  if (subject === null && body === null && logoUrl === null && accentColor === null) return undefined;
  return { subject, body, logoUrl, accentColor };
}

/**
 * `${APP_BASE_URL}/invite#token=…`: the only link an email carries; the token in the
 * fragment never reaches a server log. The emailed copy adds `&proof=…`, the address
 * proof (libs/contracts security/address-proof.ts) that lets its reader create an account.
 */
export function acceptLink(appBaseUrl: string, token: string, proof?: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/invite#token=${token}${proof ? `&proof=${proof}` : ''}`;
}

/** `${APP_BASE_URL}/reset-password#token=…`: the password reset link, its token in the fragment too. */
export function passwordResetLink(appBaseUrl: string, token: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/reset-password#token=${token}`;
}
