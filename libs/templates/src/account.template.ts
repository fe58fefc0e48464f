import { escapeHtml, singleLine } from './invite.template.ts';
import { localeChain } from './locales.ts';

/**
 * Emails about an account rather than an invitation: the code that proves an invited
 * address, and the link to choose a new password. Built-in wording only (an organisation's template shapes invitations, not
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
  fr: {
    subject: '{code} est votre code pour rejoindre {org}',
    intro: 'Saisissez ce code sur la page de votre invitation pour confirmer que cette adresse e-mail est la vôtre :',
    expires: 'Le code est valable jusqu’au {expires}.',
    ignore: 'Si vous n’avez pas demandé de code, vous pouvez ignorer cet e-mail : sans lui, personne ne peut créer de compte avec votre adresse.',
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

/** A link to choose a new password. */
export interface PasswordResetView {
  /** `${APP_BASE_URL}/reset-password#token=…`. */
  link: string;
  /** When the link stops working (ISO time). */
  expiresAt: string;
  locale: string;
}

interface PasswordResetStrings {
  subject: string;
  fromName: string;
  intro: string;
  button: string;
  linkFallback: string;
  expires: string;
  ignore: string;
}

/** Placeholders: {expires}. */
const passwordResetStrings: Record<string, PasswordResetStrings> = {
  en: {
    subject: 'Choose a new password',
    fromName: 'Invitations',
    intro: 'Someone asked to choose a new password for the account of this email address. If it was you, open this link:',
    button: 'Choose a new password',
    linkFallback: 'Or open this link:',
    expires: 'The link works once, until {expires}. Choosing a new password signs you out everywhere.',
    ignore: 'If you did not ask for it, you can ignore this email: your password stays as it is.',
  },
  es: {
    subject: 'Elige una contraseña nueva',
    fromName: 'Invitaciones',
    intro: 'Alguien pidió elegir una contraseña nueva para la cuenta de esta dirección de correo. Si fuiste tú, abre este enlace:',
    button: 'Elegir una contraseña nueva',
    linkFallback: 'O abre este enlace:',
    expires: 'El enlace funciona una vez, hasta el {expires}. Al elegir una contraseña nueva se cierran todas tus sesiones.',
    ignore: 'Si no lo pediste, puedes ignorar este correo: tu contraseña sigue igual.',
  },
  de: {
    subject: 'Neues Passwort wählen',
    fromName: 'Einladungen',
    intro: 'Jemand möchte ein neues Passwort für das Konto dieser E-Mail-Adresse wählen. Wenn Sie das waren, öffnen Sie diesen Link:',
    button: 'Neues Passwort wählen',
    linkFallback: 'Oder öffnen Sie diesen Link:',
    expires: 'Der Link gilt einmal, bis {expires}. Mit dem neuen Passwort werden Sie überall abgemeldet.',
    ignore: 'Wenn Sie das nicht angefordert haben, können Sie diese E-Mail ignorieren: Ihr Passwort bleibt, wie es ist.',
  },
  fr: {
    subject: 'Choisir un nouveau mot de passe',
    fromName: 'Invitations',
    intro: 'Quelqu’un a demandé à choisir un nouveau mot de passe pour le compte de cette adresse e-mail. Si c’est vous, ouvrez ce lien :',
    button: 'Choisir un nouveau mot de passe',
    linkFallback: 'Ou ouvrez ce lien :',
    expires: 'Le lien ne fonctionne qu’une fois, jusqu’au {expires}. Choisir un nouveau mot de passe vous déconnecte partout.',
    ignore: 'Si vous ne l’avez pas demandé, vous pouvez ignorer cet e-mail : votre mot de passe reste le même.',
  },
};

/** The email carrying a link to choose a new password. */
export function renderPasswordReset(view: PasswordResetView): RenderedAccountEmail {
  const { locale, strings } = pick(passwordResetStrings, view.locale);
  const expires = fill(strings.expires, { expires: formatTime(view.expiresAt, locale) });
  const e = escapeHtml;
  return {
    locale,
    subject: strings.subject,
    fromName: strings.fromName,
    text: [strings.intro, '', view.link, '', expires, strings.ignore, ''].join('\n'),
    html: page(
      locale,
      strings.subject,
      `<p>${e(strings.intro)}</p>
<p style="margin:24px 0"><a href="${e(view.link)}" style="background:#2456d6;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>
<p style="font-size:13px;color:#555">${e(strings.linkFallback)}<br><a href="${e(view.link)}">${e(view.link)}</a></p>
<p style="font-size:13px;color:#555">${e(expires)}<br>${e(strings.ignore)}</p>`,
    ),
  };
}
