import type { EmailTemplate, OrgSettings } from '@invite/contracts';

/**
 * The part of an organisation's settings that shapes its emails, as invite events carry
 * it; undefined when the organisation set none of it. The invites service (events) and
 * the gateway (preview) both derive it here, so the preview is what the notifier renders.
 */
export function emailTemplateOf(settings: OrgSettings): EmailTemplate | undefined {
  const { emailSubject, emailBody, logoUrl, accentColor } = settings;
  if (emailSubject === null && emailBody === null && logoUrl === null && accentColor === null) return undefined;
  return { subject: emailSubject, body: emailBody, logoUrl, accentColor };
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
