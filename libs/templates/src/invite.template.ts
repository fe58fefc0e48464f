import type { EmailTemplate, Role } from '@invite/contracts';
import { builtInStrings, localeChain, type InviteStrings } from './locales.ts';
import { fillPlaceholders, paragraphsOf, piecesOf, usesPlaceholder, type PlaceholderName } from './org-template.ts';

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
  /** The invitee's address, for the {{email}} placeholder. */
  email?: string;
  /** The organisation's subject, body, logo and accent colour (from the event); absent or null: built-in. */
  template?: EmailTemplate | null | undefined;
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
 * A seam for per-organisation wording per language: given an org id, the built-in
 * strings it overrides (any subset), or undefined. Organisations' own templates
 * travel in the event instead (`InviteView.template`), which wins over both.
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

/**
 * Building an Intl.DateTimeFormat costs far more than using one (locale data is looked
 * up and resolved each time), and every email needs one: kept per locale. Bounded,
 * because an organisation's overrides may name languages of their own.
 */
const expiryFormats = new Map<string, Intl.DateTimeFormat>();
const maxExpiryFormats = 32;

function expiryFormat(locale: string): Intl.DateTimeFormat {
  let format = expiryFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
    if (expiryFormats.size >= maxExpiryFormats) expiryFormats.delete(expiryFormats.keys().next().value!);
    expiryFormats.set(locale, format);
  }
  return format;
}

function formatExpiry(iso: string, locale: string): string {
  try {
    return `${expiryFormat(locale).format(new Date(iso))} UTC`;
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

const defaultAccent = '#2456d6';

/** The template's branding, re-checked here: an event is input too, whatever the settings validation did. */
function brandingOf(template: EmailTemplate | null | undefined) {
  const accent = template?.accentColor && /^#[0-9a-fA-F]{6}$/.test(template.accentColor) ? template.accentColor : defaultAccent;
  const logoUrl = template?.logoUrl && /^https:\/\/[^\s"'<>]+$/.test(template.logoUrl) ? template.logoUrl : null;
  return { accent, logoUrl };
}

/** Text on the accent colour: white unless the colour is light. */
function textOn(accent: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.6 ? '#111' : '#fff';
}

function renderWith(strings: InviteStrings, locale: string, view: InviteView): RenderedInvite {
  const org = singleLine(view.orgName, 100);
  const inviter = view.inviterName ? singleLine(view.inviterName, 100) : '';
  const role = strings.roles[view.role] ?? view.role;
  const expiry = formatExpiry(view.expiresAt, locale);
  const values = { org, inviter, role, expires: expiry };
  const message = view.message?.trim() ? view.message.trim().slice(0, 2000) : null;
  const placeholders: Record<PlaceholderName, string> = {
    orgName: org,
    inviterName: inviter,
    role,
    link: view.link,
    expiresAt: expiry,
    message: message ?? '',
    email: view.email ?? '',
  };
  const template = view.template ?? null;
  const { accent, logoUrl } = brandingOf(template);
  const builtInSubject = fill(inviter ? strings.subject : strings.subjectNoInviter, values);
  const subject = singleLine(template?.subject ? fillPlaceholders(template.subject, placeholders) : builtInSubject, 250);
  const intro = fill(inviter ? strings.intro : strings.introNoInviter, values);
  const expires = fill(strings.expires, values);
  // An org body that places {{message}} itself gets no second copy below it.
  const customBody = template?.body ?? null;
  const showMessage = message !== null && !(customBody && usesPlaceholder(customBody, 'message'));

  const text = [
    customBody ? fillPlaceholders(customBody, placeholders).trim() : intro,
    ...(showMessage ? ['', strings.messageHeading, message] : []),
    '',
    `${strings.button}: ${view.link}`,
    '',
    expires,
    strings.ignore,
    '',
  ].join('\n');

  const e = escapeHtml;
  const lines = (value: string) => e(value).replace(/\r?\n/g, '<br>');
  const linkHtml = `<a href="${e(view.link)}" style="color:${accent};word-break:break-all;overflow-wrap:anywhere">${e(view.link)}</a>`;
  // The org's text and each value are escaped apart; only the link becomes markup, and it is ours.
  const paragraphHtml = (paragraph: string) =>
    piecesOf(paragraph)
      .map((piece) => ('name' in piece ? (piece.name === 'link' ? linkHtml : lines(placeholders[piece.name])) : lines(piece.text)))
      .join('');
  const bodyHtml = customBody ? paragraphsOf(customBody).map((p) => `<p>${paragraphHtml(p)}</p>`).join('\n') : `<p>${e(intro)}</p>`;
  const messageHtml = showMessage
    ? `<p style="margin:16px 0 4px">${e(strings.messageHeading)}</p>
<blockquote style="margin:0;padding:8px 12px;border-left:3px solid ${accent};color:#333">${lines(message!)}</blockquote>`
    : '';
  const logoHtml = logoUrl ? `<p style="margin:0 0 24px"><img src="${e(logoUrl)}" alt="${e(org)}" style="max-height:48px;max-width:240px"></p>\n` : '';
  const html = `<!doctype html>
<html lang="${e(locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(subject)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;line-height:1.5;color:#111;max-width:560px;margin:0 auto;padding:24px">
${logoHtml}${bodyHtml}
${messageHtml}
<p style="margin:24px 0"><a href="${e(view.link)}" style="background:${accent};color:${textOn(accent)};padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>
<p style="font-size:13px;color:#555;word-break:break-all;overflow-wrap:anywhere">${e(strings.linkFallback)}<br><a href="${e(view.link)}">${e(view.link)}</a></p>
<p style="font-size:13px;color:#555">${e(expires)}<br>${e(strings.ignore)}</p>
</body></html>
`;

  return {
    locale,
    subject,
    fromName: inviter ? singleLine(fill(strings.fromName, values), 120) : org,
    html,
    text,
    sms: `${singleLine(fill(strings.sms, { ...values, org: singleLine(org, 40) }), 120)} ${view.link}`,
  };
}
