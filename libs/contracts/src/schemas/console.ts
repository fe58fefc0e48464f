import { Type, type Static } from 'typebox';
import { Channel, InviteStatus, Locale, Role, Timestamp, Uuid } from './common.ts';
import { maxRedirectOrigins, RedirectOrigin } from './inbox.ts';

/**
 * Shapes behind the admin console: invite analytics, organisation settings (email
 * template and branding) and the live events a browser receives.
 */
const strict = { additionalProperties: false } as const;

/** A calendar day, UTC. */
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A day, YYYY-MM-DD (UTC)' });

/** `org.analytics` request: invites created from `from` to `to`, both days included (at most 366 days). */
export const AnalyticsRequest = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** First day, included. */
    from: Day,
    /** Last day, included. */
    to: Day,
  },
  strict,
);
export type AnalyticsRequest = Static<typeof AnalyticsRequest>;

/** What became of a cohort of invites (those created in the period or on the day). */
export const Funnel = Type.Object(
  {
    /** Invites created. */
    created: Type.Integer({ minimum: 0 }),
    /** Of those, delivered on at least one channel. */
    delivered: Type.Integer({ minimum: 0 }),
    /** Of those, accepted. */
    accepted: Type.Integer({ minimum: 0 }),
    /** Declined by the invitee. */
    declined: Type.Integer({ minimum: 0 }),
    /** Withdrawn by the organisation. */
    withdrawn: Type.Integer({ minimum: 0 }),
    /** Expired unanswered. */
    expired: Type.Integer({ minimum: 0 }),
    /** Still pending. */
    pending: Type.Integer({ minimum: 0 }),
    /** Whose delivery gave up (dead) on every channel it was sent on. */
    deliveryFailed: Type.Integer({ minimum: 0 }),
    /** accepted / created (0 when nothing was created). */
    acceptanceRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** withdrawn / created. */
    withdrawalRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** expired / created. */
    expiryRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** deliveryFailed / created. */
    deliveryFailureRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** Median seconds from creation to acceptance; null when none was accepted. */
    medianSecondsToAccept: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  },
  strict,
);
export type Funnel = Static<typeof Funnel>;

/** `org.analytics` reply. */
export const AnalyticsView = Type.Object(
  {
    /** First day, included. */
    from: Day,
    /** Last day, included. */
    to: Day,
    /** The whole period. */
    totals: Funnel,
    /** Per role granted. */
    byRole: Type.Object({ owner: Funnel, admin: Funnel, member: Funnel }, strict),
    /** Per channel the invite was sent on (an invite on both channels counts in both). */
    byChannel: Type.Object({ email: Funnel, sms: Funnel }, strict),
    /** One entry per day of the period, in order, days without invites included. */
    daily: Type.Array(Type.Object({ day: Day, funnel: Funnel }, strict)),
  },
  strict,
);
export type AnalyticsView = Static<typeof AnalyticsView>;

/** Placeholders an organisation's email template may use. */
export const templatePlaceholders = ['orgName', 'inviterName', 'role', 'link', 'expiresAt', 'message', 'email'] as const;

/** Languages the notifier has built-in invite emails in: an organisation may write its own template for each. */
export const templateLocales = ['en', 'es', 'de', 'fr'] as const;
export type TemplateLocale = (typeof templateLocales)[number];

/** Each template language's name in English, for audit sentences and error messages. */
export const templateLanguageNames: Record<TemplateLocale, string> = { en: 'English', es: 'Spanish', de: 'German', fr: 'French' };

/** An email subject with {{placeholders}}; null: the built-in subject. */
const TemplateSubject = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]);
/** An email body (plain text with {{placeholders}}; paragraphs by blank lines); null: the built-in body. */
const TemplateBody = Type.Union([Type.String({ minLength: 1, maxLength: 5000 }), Type.Null()]);

/** An organisation's own invite email in one language. */
export const LocaleTemplate = Type.Object(
  {
    /** Subject with {{placeholders}}; null: the built-in subject of this language. */
    subject: TemplateSubject,
    /** Body, plain text with {{placeholders}}, paragraphs separated by blank lines; null: the built-in body of this language. */
    body: TemplateBody,
  },
  strict,
);
export type LocaleTemplate = Static<typeof LocaleTemplate>;

/**
 * An organisation's own invite emails, one per language. In settings, a language that is
 * absent has no template of its own: its invites get the built-in email of their language
 * (never another language's template). In a patch, an absent language stays as it is and
 * `{subject: null, body: null}` goes back to the built-in email.
 */
export const LocaleTemplates = Type.Object(
  {
    /** English. */
    en: Type.Optional(LocaleTemplate),
    /** Spanish. */
    es: Type.Optional(LocaleTemplate),
    /** German. */
    de: Type.Optional(LocaleTemplate),
    /** French. */
    fr: Type.Optional(LocaleTemplate),
  },
  strict,
);
export type LocaleTemplates = Static<typeof LocaleTemplates>;

/** An organisation's settings. Null fields fall back to the built-in defaults. */
export const OrgSettings = Type.Object(
  {
    /**
     * Subject of the default language's template (`templates[<defaultLocale's language>].subject`),
     * for clients written before templates per language; null: the built-in subject.
     */
    emailSubject: TemplateSubject,
    /** Body of the default language's template (`templates[<defaultLocale's language>].body`), as emailSubject; null: the built-in body. */
    emailBody: TemplateBody,
    /** The organisation's own invite email per language (en, es, de, fr); an invite uses its own language's. */
    templates: LocaleTemplates,
    /** HTTPS URL of the logo shown in emails and the accept page (a host is required; no spaces, quotes or angle brackets). */
    logoUrl: Type.Union([Type.String({ format: 'uri', pattern: '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s"<>]*)?$', maxLength: 500 }), Type.Null()]),
    /** Accent colour, #RRGGBB. */
    accentColor: Type.Union([Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }), Type.Null()]),
    /** Locale of invites that do not name one. */
    defaultLocale: Locale,
    /** Origins an invite's redirectUrl may point to (https://host[:port]); checked when the invite is made and again when it is accepted. */
    redirectOrigins: Type.Array(RedirectOrigin, { maxItems: maxRedirectOrigins, uniqueItems: true, description: `Origins an invite's redirectUrl may point to, at most ${maxRedirectOrigins}: https://host or https://host:port, no path` }),
  },
  strict,
);
export type OrgSettings = Static<typeof OrgSettings>;

/** Some of an organisation's settings; unknown fields are refused (Type.Partial alone would drop `additionalProperties: false`). */
export const OrgSettingsPatch = Type.Partial(OrgSettings, strict);
export type OrgSettingsPatch = Static<typeof OrgSettingsPatch>;

/**
 * The email template an invite event carries for the notifier: the org's template of the
 * invite's language (only that one) and its branding.
 */
export const EmailTemplate = Type.Object(
  {
    /** Subject with {{placeholders}}, from the template of the invite's language; null: the built-in subject. */
    subject: Type.Union([Type.String(), Type.Null()]),
    /** Body with {{placeholders}} (paragraphs by blank lines), from the template of the invite's language; null: the built-in body. */
    body: Type.Union([Type.String(), Type.Null()]),
    /** HTTPS logo URL, or null. */
    logoUrl: Type.Union([Type.String(), Type.Null()]),
    /** Accent colour #RRGGBB, or null. */
    accentColor: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type EmailTemplate = Static<typeof EmailTemplate>;

/** `org.settings.update` request: the fields to change. */
export const UpdateOrgSettingsRequest = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Fields to change; absent fields stay as they are. */
    settings: OrgSettingsPatch,
  },
  strict,
);
export type UpdateOrgSettingsRequest = Static<typeof UpdateOrgSettingsRequest>;

/** A rendered email, as the notifier sends it. */
export const RenderedEmail = Type.Object(
  {
    /** Subject line. */
    subject: Type.String(),
    /** HTML body. */
    html: Type.String(),
    /** Plain-text body. */
    text: Type.String(),
  },
  strict,
);
export type RenderedEmail = Static<typeof RenderedEmail>;

/** `POST /v1/orgs/:orgId/settings/preview` body: settings to try (unsaved) and a locale. */
export const PreviewRequest = Type.Object(
  {
    /** Settings to render with; absent fields use the saved ones. */
    settings: Type.Optional(OrgSettingsPatch),
    /** Locale to render in (default: the org's default locale). */
    locale: Type.Optional(Locale),
  },
  strict,
);
export type PreviewRequest = Static<typeof PreviewRequest>;

/**
 * One live event for the console (`GET /v1/orgs/:orgId/events`, server-sent events,
 * `event: invite`): a change of an invite or of its delivery, never a token.
 */
export const ConsoleEvent = Type.Object(
  {
    /** Event id (the NATS event's id). */
    id: Uuid,
    /** invite.created, invite.resent, invite.accepted, invite.declined, invite.withdrawn, invite.expired, delivery.sent, delivery.failed, delivery.dead, delivery.skipped. */
    type: Type.String(),
    /** Organisation. */
    orgId: Uuid,
    /** Invite. */
    inviteId: Uuid,
    /** When it happened. */
    occurredAt: Timestamp,
    /** The invite's status after an invite event. */
    status: Type.Optional(InviteStatus),
    /** Role, on created and resent. */
    role: Type.Optional(Role),
    /** Channel of a delivery event. */
    channel: Type.Optional(Channel),
    /** Attempt number of a delivery event. */
    attempt: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Error of a failed or dead delivery. */
    error: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  strict,
);
export type ConsoleEvent = Static<typeof ConsoleEvent>;
