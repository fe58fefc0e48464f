// The console's shapes, straight from libs/contracts (types only: nothing of the
// schemas reaches the bundle through this file).
export type { MeView, TokenPair } from '../../../../libs/contracts/src/schemas/auth.ts';
export type { Channel, DeliveryStatus, InviteStatus, MembershipView, Role, UserView } from '../../../../libs/contracts/src/schemas/common.ts';
export type {
  BulkInviteReply,
  BulkRowResult,
  ChannelDelivery,
  InvitePage,
  InviteView,
  InviteWithLink,
  NewInvite,
} from '../../../../libs/contracts/src/schemas/invites.ts';
export type {
  AuditEntryView,
  AuditPage,
  InviteTimeline,
  MemberPage,
  MemberView,
  OrgView,
  OwnershipTransferred,
  TimelineEntry,
  UsageView,
} from '../../../../libs/contracts/src/schemas/orgs.ts';
export type { AnalyticsView, ConsoleEvent, Funnel, OrgSettings, RenderedEmail } from '../../../../libs/contracts/src/schemas/console.ts';
export type { LocaleTemplates, OrgSettingsPatch, TemplateLocale } from '../../../../libs/contracts/src/schemas/console.ts';
export type {
  WebhookDeliveryPage,
  WebhookDeliveryView,
  WebhookEventType,
  WebhookList,
  WebhookView,
  WebhookWithSecret,
} from '../../../../libs/contracts/src/schemas/webhooks.ts';
export type { ChannelsStatus } from '../../../../libs/contracts/src/schemas/service-status.ts';
export type { JoinLinkList, JoinLinkState, JoinLinkView, JoinLinkWithUrl } from '../../../../libs/contracts/src/schemas/join-links.ts';
export type { InboxAcceptReply, InboxInvite, InboxPage } from '../../../../libs/contracts/src/schemas/inbox.ts';
