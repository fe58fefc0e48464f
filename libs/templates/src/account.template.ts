import { escapeHtml, singleLine } from './invite.template.ts';
import { localeChain } from './locales.ts';

/**
 * Emails about an account rather than an invitation: the code that proves an invited
 * address. Built-in wording only (an organisation's template shapes invitations, not
 * these), in the languages of the invitations; every value is escaped.
 */

/** The rendered message. Header-bound fields are single-line. */
export interface RenderedAccountEmail {
  /** Language actually used after fallback. */
  locale: string;
  subject: string;
  /** Display name of the From header. */
  fromName: string;
  html: string;
  text: string;
}

/** A code that proves an invited address. */
export interface AddressCodeView {
  /** Six digits. */
  code: string;
  orgName: string;
  /** When the code stops working (ISO time). */
  expiresAt: string;
  locale: string;
}

interface AddressCodeStrings {
  subject: string;
  intro: string;
  expires: string;
  ignore: string;
}

/** Placeholders: {org}, {code}, {expires}. */
const addressCodeStrings: Record<string, AddressCodeStrings> = {
  en: {
    subject: '{code} is your code to join {org}',
    intro: 'Enter this code on your invitation page to confirm that this email address is yours:',
    expires: 'The code works until {expires}.',
    ignore: 'If you did not ask for a code, you can ignore this email: without it, nobody can create an account with your address.',
  },
  es: {
    subject: '{code} es tu código para unirte a {org}',
    intro: 'Escribe este código en la página de tu invitación para confirmar que esta dirección de correo es tuya:',
    expires: 'El código funciona hasta el {expires}.',
    ignore: 'Si no pediste un código, puedes ignorar este correo: sin él, nadie puede crear una cuenta con tu dirección.',
  },
  de: {
    subject: '{code} ist Ihr Code für {org}',
    intro: 'Geben Sie diesen Code auf der Seite Ihrer Einladung ein, um zu bestätigen, dass diese E-Mail-Adresse Ihnen gehört:',
    expires: 'Der Code gilt bis {expires}.',
    ignore: 'Wenn Sie keinen Code angefordert haben, können Sie diese E-Mail ignorieren: Ohne ihn kann niemand ein Konto mit Ihrer Adresse anlegen.',
  },
};

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function formatTime(iso: string, locale: string): string {
  try {
    return `${new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso))} UTC`;
  } catch {
    return iso;
  }
}

function pick<T>(table: Record<string, T>, locale: string): { locale: string; strings: T } {
  const chosen = localeChain(locale).find((l) => table[l]) ?? 'en';
  return { locale: chosen, strings: table[chosen]! };
}

function page(locale: string, subject: string, body: string): string {
  const e = escapeHtml;
  return `<!doctype html>
<html lang="${e(locale)}"><head><meta charset="utf-8"><title>${e(subject)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;line-height:1.5;color:#111;max-width:560px;margin:0 auto;padding:24px">
${body}
</body></html>
`;
}

/** The email carrying a code that proves an invited address. */
export function renderAddressCode(view: AddressCodeView): RenderedAccountEmail {
  const { locale, strings } = pick(addressCodeStrings, view.locale);
  const org = singleLine(view.orgName, 100);
  const code = view.code.replace(/[^0-9]/g, '');
  const values = { org, code, expires: formatTime(view.expiresAt, locale) };
  const subject = singleLine(fill(strings.subject, values), 250);
  const expires = fill(strings.expires, values);
  const ignore = fill(strings.ignore, values);
  const intro = fill(strings.intro, values);
  const e = escapeHtml;
  return {
    locale,
    subject,
    fromName: org,
    text: [intro, '', code, '', expires, ignore, ''].join('\n'),
    html: page(
      locale,
      subject,
      `<p>${e(intro)}</p>
<p style="font-size:28px;letter-spacing:6px;font-weight:600;margin:24px 0">${e(code)}</p>
<p style="font-size:13px;color:#555">${e(expires)}<br>${e(ignore)}</p>`,
    ),
  };
}
