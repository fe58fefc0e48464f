/**
 * The shapes of the API, as libs/contracts defines them (types only: nothing of the
 * contracts is loaded at run time). The rest of the SDK takes its types from here, and
 * the published build replaces this module with the same types written out in full.
 */
export type {
  AcceptInviteReply,
  AcceptInviteRequest,
  AddressCodeSent,
  AddressConfirmed,
  AnalyticsView,
  AuditEntryView,
  AuditPage,
  BulkInviteReply,
  BulkRowResult,
  ChannelsStatus,
  ConfirmAddressRequest,
  ConsoleEvent,
  DeclineInviteReply,
  ErrorCode,
  InboxAcceptReply,
  InboxInvite,
  InboxListRequest,
  InboxPage,
  FieldError,
  InviteListQuery,
  InviteLookup,
  InvitePage,
  InviteTimeline,
  InviteView,
  InviteWithLink,
  JoinAddressConfirmed,
  JoinCodeRequest,
  JoinConfirmRequest,
  JoinLinkList,
  JoinLinkState,
  JoinLinkView,
  JoinLinkWithUrl,
  JoinLookup,
  JoinLookupRequest,
  JoinRequest,
  LoginRequest,
  LookupInviteRequest,
  MemberPage,
  MemberPatch,
  MemberView,
  MeView,
  NewInvite,
  NewJoinLink,
  NewWebhook,
  OrgPatch,
  OrgSettings,
  OrgSettingsPatch,
  OrgView,
  OwnershipTransfer,
  OwnershipTransferred,
  PageQuery,
  PasswordResetConfirm,
  PasswordResetRequest,
  PasswordResetRequested,
  PreviewRequest,
  RenderedEmail,
  Role,
  TokenPair,
  TokenRequest,
  UsageView,
  WebhookDeliveryPage,
  WebhookDeliveryQuery,
  WebhookDeliveryView,
  WebhookList,
  WebhookPatch,
  WebhookView,
  WebhookWithSecret,
} from '@invite/contracts';

import type { Static } from 'typebox';
import type { AnalyticsRequest, AuditListRequest, ErrorCode, ProblemDocument } from '@invite/contracts';

/** Query of `GET /v1/orgs/:orgId/analytics`: the first and last UTC day, YYYY-MM-DD, both included. */
export type AnalyticsQuery = Omit<AnalyticsRequest, 'orgId'>;

/** Query of `GET /v1/orgs/:orgId/audit`: paging, and optionally one action (or a family, `invite.`) or one actor. */
export type AuditQuery = Omit<AuditListRequest, 'orgId'>;

/** An `application/problem+json` body: every error of the API, its `code` one of the catalogue's. */
export type Problem = Omit<Static<typeof ProblemDocument>, 'code'> & { code: ErrorCode };
