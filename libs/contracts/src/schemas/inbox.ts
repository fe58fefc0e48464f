import { Type, type Static } from 'typebox';
import { Cursor, Limit, MembershipView, Page, Role, Timestamp, Uuid } from './common.ts';

/**
 * The invitee's inbox: the pending invites addressed to the signed-in account's email,
 * across every organisation, answered without the link. The account's email is trusted
 * because it was proven: an account is created only with an address proof (the emailed
 * link, or a code emailed to the address) or by the operator for an org's first owner.
 */
const strict = { additionalProperties: false } as const;

/** An absolute https URL the accept page sends the new member to (plain http only for a local development origin). */
export const RedirectUrl = Type.String({
  minLength: 8,
  maxLength: 2000,
  pattern: '^https?://[^\\s"<>\\\\]+$',
  description: 'Absolute https URL, at most 2000 characters, whose origin is on the organisation\'s redirectOrigins; the accept page sends the new member there',
});

/** An origin an organisation allows invites to redirect to: scheme, host and port, no path. */
export const RedirectOrigin = Type.String({
  maxLength: 300,
  pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
  description: 'An origin, https://host or https://host:port, without a path (plain http only for localhost or 127.0.0.1 in development)',
});

/** Most origins one organisation may allow. */
export const maxRedirectOrigins = 20;

/** The organisation of an inbox invite, as the invitee may see it. */
export const InboxOrg = Type.Object(
  {
    /** Organisation id. */
    id: Uuid,
    /** Organisation name. */
    name: Type.String(),
    /** HTTPS URL of its logo, when it set one. */
    logoUrl: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type InboxOrg = Static<typeof InboxOrg>;

/** One pending invite addressed to the caller. Never the token or the link. */
export const InboxInvite = Type.Object(
  {
    /** Invite id: accept or decline it at /v1/me/invites/{id}/accept|decline. */
    id: Uuid,
    /** The organisation it is for. */
    org: InboxOrg,
    /** Role granted on acceptance. */
    role: Role,
    /** Display name of the inviter; null for an organisation's first owner, invited by the operator. */
    inviterName: Type.Union([Type.String(), Type.Null()]),
    /** Personal message from the inviter. */
    message: Type.Union([Type.String(), Type.Null()]),
    /** When it was sent. */
    createdAt: Timestamp,
    /** When it stops working. */
    expiresAt: Timestamp,
    /** Where accepting leads, when the invite names a page still on the organisation's allow-list. */
    redirectUrl: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type InboxInvite = Static<typeof InboxInvite>;

/** `inbox.list` request (and the query of `GET /v1/me/invites`). */
export const InboxListRequest = Type.Object(
  {
    /** Page size, 1 to 100 (default 50). */
    limit: Type.Optional(Limit),
    /** `nextCursor` of the previous page. */
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export type InboxListRequest = Static<typeof InboxListRequest>;

export const InboxPage = Page(InboxInvite);
export type InboxPage = Static<typeof InboxPage>;

/** `inbox.accept` and `inbox.decline` request (and the path of `/v1/me/invites/:inviteId/…`). */
export const InboxInviteRef = Type.Object(
  {
    /** Invite id, from the inbox. */
    inviteId: Uuid,
  },
  strict,
);
export type InboxInviteRef = Static<typeof InboxInviteRef>;

/** `inbox.accept` reply: the new membership. The caller's session goes on as it was. */
export const InboxAcceptReply = Type.Object(
  {
    /** The accepted invite. */
    inviteId: Uuid,
    /** The new membership. */
    membership: MembershipView,
    /** Where to send the new member: the invite's page, when its origin is still on the organisation's allow-list. */
    redirectUrl: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type InboxAcceptReply = Static<typeof InboxAcceptReply>;
