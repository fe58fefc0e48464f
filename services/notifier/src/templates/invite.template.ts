import type { Role } from '@invite/contracts';
import { builtInStrings, localeChain, type InviteStrings } from './locales.ts';

/** What an invite message says; every string is plain user text, unescaped. */
export interface InviteView {
  orgId: string;
  orgName: string;
  inviterName: string | null;
  role: Role;
  /** The inviter's personal message; may span lines. */
  message: string | null;
  /** `${APP_BASE_URL}/invite#token=…`. */
  link: string;
  expiresAt: string;
  locale: string;
}

/** The rendered message of every channel. Header-bound fields are single-line. */
export interface RenderedInvite {
  /** Language actually used after fallback. */
  locale: string;
  subject: string;
  /** Display name of the From header (the address itself comes from config). */
  fromName: string;
  html: string;
  text: string;
  sms: string;
}

/**
 * The seam for per-organisation templates: given an org id, the strings it
 * overrides per language (any subset), or undefined for the built-in wording.
 * Nothing implements it yet; a future org-settings store plugs in here.
 */
export type OrgTemplateSource = (orgId: string) => Promise<Record<string, Partial<InviteStrings>> | undefined>;

export interface TemplateRenderer {
  render(view: InviteView): Promise<RenderedInvite>;
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEscapes[c]!);
}

/**
 * One line of plain text fit for a header or an SMS: control characters (CR and LF
 * above all: header injection) and Unicode line separators become spaces.
 */
export function singleLine(value: string, maxLength = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function formatExpiry(iso: string, locale: string): string {
  try {
    return `${new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso))} UTC`;
  } catch {
    return iso;
  }
}

/** Creates the renderer; `orgTemplates` defaults to "no org overrides anything". */
export function createTemplateRenderer(options: { orgTemplates?: OrgTemplateSource } = {}): TemplateRenderer {
  const orgTemplates = options.orgTemplates ?? (async () => undefined);
  return {
    async render(view) {
      const overrides = (await orgTemplates(view.orgId)) ?? {};
      const locale = localeChain(view.locale).find((l) => builtInStrings[l] || overrides[l]) ?? 'en';
      const strings: InviteStrings = { ...builtInStrings.en!, ...builtInStrings[locale], ...overrides[locale] };
      return renderWith(strings, locale, view);
    },
  };
}

function renderWith(strings: InviteStrings, locale: string, view: InviteView): RenderedInvite {
  const org = singleLine(view.orgName, 100);
  const inviter = view.inviterName ? singleLine(view.inviterName, 100) : '';
  const values = { org, inviter, role: strings.roles[view.role] ?? view.role, expires: formatExpiry(view.expiresAt, locale) };
  const intro = fill(inviter ? strings.intro : strings.introNoInviter, values);
  const expires = fill(strings.expires, values);
  const message = view.message?.trim() ? view.message.trim().slice(0, 2000) : null;

  const text = [
    intro,
    ...(message ? ['', strings.messageHeading, message] : []),
    '',
    `${strings.button}: ${view.link}`,
    '',
    expires,
    strings.ignore,
    '',
  ].join('\n');

  const e = escapeHtml;
  const messageHtml = message
    ? `<p style="margin:16px 0 4px">${e(strings.messageHeading)}</p>
<blockquote style="margin:0;padding:8px 12px;border-left:3px solid #ccc;color:#333">${e(message).replace(/\r?\n/g, '<br>')}</blockquote>`
    : '';
  const html = `<!doctype html>
<html lang="${e(locale)}"><head><meta charset="utf-8"><title>${e(fill(inviter ? strings.subject : strings.subjectNoInviter, values))}</title></head>
<body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;line-height:1.5;color:#111;max-width:560px;margin:0 auto;padding:24px">
<p>${e(intro)}</p>
${messageHtml}
<p style="margin:24px 0"><a href="${e(view.link)}" style="background:#2456d6;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>
<p style="font-size:13px;color:#555">${e(strings.linkFallback)}<br><a href="${e(view.link)}">${e(view.link)}</a></p>
<p style="font-size:13px;color:#555">${e(expires)}<br>${e(strings.ignore)}</p>
</body></html>
`;

  return {
    locale,
    subject: singleLine(fill(inviter ? strings.subject : strings.subjectNoInviter, values), 250),
    fromName: inviter ? singleLine(fill(strings.fromName, values), 120) : org,
    html,
    text,
    sms: `${singleLine(fill(strings.sms, { ...values, org: singleLine(org, 40) }), 120)} ${view.link}`,
  };
}
