import { Type, type Static } from 'typebox';
import { Cursor, InviteStatus, Limit, Uuid } from './common.ts';

/**
 * Shapes that exist only at the HTTP edge: path parameters, query strings, the
 * problem document. Bodies reuse the operation schemas.
 */
const strict = { additionalProperties: false } as const;

/** `/v1/orgs/:orgId/…` */
export const OrgParams = Type.Object(
  {
    /** Organisation id. */
    orgId: Uuid,
  },
  strict,
);
export type OrgParams = Static<typeof OrgParams>;

/** `/v1/orgs/:orgId/invites/:inviteId…` */
export const InviteParams = Type.Object(
  {
    /** Organisation id. */
    orgId: Uuid,
    /** Invite id. */
    inviteId: Uuid,
  },
  strict,
);
export type InviteParams = Static<typeof InviteParams>;

/** `/v1/orgs/:orgId/join-links/:joinLinkId…` */
export const JoinLinkParams = Type.Object(
  {
    /** Organisation id. */
    orgId: Uuid,
    /** Join link id. */
    joinLinkId: Uuid,
  },
  strict,
);
export type JoinLinkParams = Static<typeof JoinLinkParams>;

/** `/v1/orgs/:orgId/members/:userId` */
export const MemberParams = Type.Object(
  {
    /** Organisation id. */
    orgId: Uuid,
    /** The member's user id. */
    userId: Uuid,
  },
  strict,
);
export type MemberParams = Static<typeof MemberParams>;

/** Query of `GET /v1/orgs/:orgId/invites`. */
export const InviteListQuery = Type.Object(
  {
    /** Only invites in this state. */
    status: Type.Optional(InviteStatus),
    /** Only invites whose email contains this text. */
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    /** Page size, 1 to 100 (default 50). */
    limit: Type.Optional(Limit),
    /** `nextCursor` of the previous page. */
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export type InviteListQuery = Static<typeof InviteListQuery>;

/** Query of the other paginated lists. */
export const PageQuery = Type.Object(
  {
    /** Page size, 1 to 100 (default 50). */
    limit: Type.Optional(Limit),
    /** `nextCursor` of the previous page. */
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export type PageQuery = Static<typeof PageQuery>;

/** An RFC 9457 problem document: every error of the HTTP API. */
export const ProblemDocument = Type.Object(
  {
    /** URN naming the kind of problem. */
    type: Type.String(),
    /** Short summary of the kind of problem. */
    title: Type.String(),
    /** HTTP status. */
    status: Type.Integer(),
    /** What went wrong this time, for a person. */
    detail: Type.String(),
    /** Stable error code from the catalogue. */
    code: Type.String(),
    /** Per-field problems (400). */
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    /** The request this answers. */
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
