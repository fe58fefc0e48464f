import type { TemplateLocale } from '@invite/contracts';

/**
 * The built-in wording of the invite, per language (`templateLocales` of libs/contracts:
 * an organisation may write its own template for each). Plain text with `{name}`
 * placeholders: the renderer escapes both this text and every value it puts in,
 * so an org that overrides a string cannot open an injection either.
 *
 * Placeholders: {org}, {inviter}, {role}, {expires}.
 */
export interface InviteStrings {
  /** Subject when the inviter is known. */
  subject: string;
  /** Subject of the bootstrap invite (no inviter). */
  subjectNoInviter: string;
  /** First paragraph when the inviter is known. */
  intro: string;
  /** First paragraph without an inviter. */
  introNoInviter: string;
  /** Heading above the inviter's personal message. */
  messageHeading: string;
  /** Text of the accept button. */
  button: string;
  /** Line for readers whose client hides the button. */
  linkFallback: string;
  /** When the link stops working. */
  expires: string;
  /** Reassurance for someone who did not expect the invite. */
  ignore: string;
  /** The whole SMS before the link. */
  sms: string;
  /** Role names as shown to the invitee. */
  roles: Record<'owner' | 'admin' | 'member', string>;
  /** Sender display name when the inviter is known ("{inviter} via {org}"). */
  fromName: string;
}

export const builtInStrings: Record<string, InviteStrings> = {
  en: {
    subject: '{inviter} invited you to join {org}',
    subjectNoInviter: 'You are invited to join {org}',
    intro: '{inviter} invited you to join {org} as {role}.',
    introNoInviter: 'You are invited to join {org} as {role}.',
    messageHeading: 'Their message:',
    button: 'Accept the invitation',
    linkFallback: 'Or open this link:',
    expires: 'This invitation expires on {expires}.',
    ignore: 'If you did not expect this invitation, you can ignore this email.',
    sms: '{org}: you are invited to join as {role}. Accept: ',
    roles: { owner: 'an owner', admin: 'an admin', member: 'a member' },
    fromName: '{inviter} via {org}',
  },
  es: {
    subject: '{inviter} te invitó a unirte a {org}',
    subjectNoInviter: 'Te invitaron a unirte a {org}',
    intro: '{inviter} te invitó a unirte a {org} como {role}.',
    introNoInviter: 'Te invitaron a unirte a {org} como {role}.',
    messageHeading: 'Su mensaje:',
    button: 'Aceptar la invitación',
    linkFallback: 'O abre este enlace:',
    expires: 'Esta invitación caduca el {expires}.',
    ignore: 'Si no esperabas esta invitación, puedes ignorar este correo.',
    sms: '{org}: te invitaron a unirte como {role}. Acepta: ',
    roles: { owner: 'propietario', admin: 'administrador', member: 'miembro' },
    fromName: '{inviter} vía {org}',
  },
  de: {
    subject: '{inviter} hat Sie zu {org} eingeladen',
    subjectNoInviter: 'Sie sind zu {org} eingeladen',
    intro: '{inviter} hat Sie eingeladen, {org} als {role} beizutreten.',
    introNoInviter: 'Sie sind eingeladen, {org} als {role} beizutreten.',
    messageHeading: 'Nachricht:',
    button: 'Einladung annehmen',
    linkFallback: 'Oder öffnen Sie diesen Link:',
    expires: 'Diese Einladung läuft am {expires} ab.',
    ignore: 'Wenn Sie diese Einladung nicht erwartet haben, können Sie diese E-Mail ignorieren.',
    sms: '{org}: Sie sind als {role} eingeladen. Annehmen: ',
    roles: { owner: 'Inhaber', admin: 'Administrator', member: 'Mitglied' },
    fromName: '{inviter} über {org}',
  },
  fr: {
    subject: '{inviter} vous invite à rejoindre {org}',
    subjectNoInviter: 'Vous êtes invité à rejoindre {org}',
    intro: '{inviter} vous invite à rejoindre {org} en tant que {role}.',
    introNoInviter: 'Vous êtes invité à rejoindre {org} en tant que {role}.',
    messageHeading: 'Son message :',
    button: 'Accepter l’invitation',
    linkFallback: 'Ou ouvrez ce lien :',
    expires: 'Cette invitation expire le {expires}.',
    ignore: 'Si vous n’attendiez pas cette invitation, vous pouvez ignorer cet e-mail.',
    sms: '{org} : vous êtes invité à rejoindre l’organisation en tant que {role}. Acceptez : ',
    roles: { owner: 'propriétaire', admin: 'administrateur', member: 'membre' },
    fromName: '{inviter} via {org}',
  },
} satisfies Record<TemplateLocale, InviteStrings>;

/** `pt-BR` → `pt-BR`, `pt`, then English: the most specific language we have. */
export function localeChain(locale: string): string[] {
  const chain = [locale];
  const language = locale.split('-')[0];
  if (language && language !== locale) chain.push(language);
  if (!chain.includes('en')) chain.push('en');
  return chain;
}
