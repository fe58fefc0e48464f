import type { OrgSettings, RenderedEmail } from '@invite/contracts';
import { acceptLink, createTemplateRenderer, emailTemplateOf, type InviteView } from '@invite/templates';

/** Visibly not a token: nobody mistakes a preview for a working link. */
export const previewToken = 'PREVIEW-not-a-real-invite-link';

export interface PreviewInput {
  orgId: string;
  orgName: string;
  /** The admin looking at the preview stands in for the inviter. */
  inviterName: string;
  settings: OrgSettings;
  locale: string;
  appBaseUrl: string;
  now: Date;
}

const hour = 3_600_000;

/**
 * What the notifier would be given for a sample invite of this org: sample invitee and
 * message, a link from APP_BASE_URL with a fake token, an expiry 48 h ahead (on the hour,
 * so one preview reads the same for an hour), and the org's template as events carry it.
 */
export function previewView(input: PreviewInput): InviteView {
  return {
    orgId: input.orgId,
    orgName: input.orgName,
    inviterName: input.inviterName,
    role: 'member',
    message: 'Looking forward to working with you!',
    link: acceptLink(input.appBaseUrl, previewToken),
    expiresAt: new Date(Math.floor(input.now.getTime() / hour) * hour + 48 * hour).toISOString(),
    locale: input.locale,
    email: 'new.colleague@example.com',
    template: emailTemplateOf(input.settings, input.locale) ?? null,
  };
}

const renderer = createTemplateRenderer();

/** The email exactly as the notifier renders it (the same renderer, libs/templates). */
export async function renderPreview(input: PreviewInput): Promise<RenderedEmail> {
  const rendered = await renderer.render(previewView(input));
  return { subject: rendered.subject, html: rendered.html, text: rendered.text };
}
