import type { Static, TSchema } from 'typebox';
import { AccessCheckReply, AccessCheckRequest, TokenPair, LoginRequest, MeView, RefreshRequest } from './schemas/auth.ts';
import { Empty } from './schemas/common.ts';
import {
  AcceptInviteReply,
  AcceptInviteRequest,
  AddressCodeSent,
  AddressConfirmed,
  ConfirmAddressRequest,
  BulkInviteReply,
  BulkInviteRequest,
  CreateInviteRequest,
  DeclineInviteReply,
  InviteLookup,
  InvitePage,
  InviteRef,
  InviteView,
  InviteWithLink,
  ListInvitesRequest,
  LookupInviteRequest,
  TokenRequest,
} from './schemas/invites.ts';
import {
  AuditListRequest,
  AuditPage,
  CreateOrgReply,
  CreateOrgRequest,
  InviteTimeline,
  MemberPage,
  MemberRef,
  MemberView,
  OrgPageRequest,
  OrgRef,
  OrgView,
  OwnershipTransferred,
  UpdateMemberRequest,
  UpdateOrgRequest,
  UsageView,
} from './schemas/orgs.ts';
import { AnalyticsRequest, AnalyticsView, OrgSettings, UpdateOrgSettingsRequest } from './schemas/console.ts';
import { PasswordResetConfirm, PasswordResetRequest, PasswordResetRequested } from './schemas/password-reset.ts';
import {
  CreateWebhookRequest,
  ListWebhookDeliveriesRequest,
  UpdateWebhookRequest,
  WebhookDeliveryPage,
  WebhookDeliveryRef,
  WebhookDeliveryView,
  WebhookList,
  WebhookRef,
  WebhookView,
  WebhookWithSecret,
} from './schemas/webhooks.ts';
import {
  CreateJoinLinkRequest,
  JoinAddressConfirmed,
  JoinCodeRequest,
  JoinConfirmRequest,
  JoinLinkList,
  JoinLinkRef,
  JoinLinkView,
  JoinLinkWithUrl,
  JoinLookup,
  JoinLookupRequest,
  JoinRequest,
  UpdateJoinLinkRequest,
} from './schemas/join-links.ts';
import { InboxAcceptReply, InboxInviteRef, InboxListRequest, InboxPage } from './schemas/inbox.ts';
import type { OperationName } from './subjects.ts';

/**
 * Who may call an operation, as checked by the invites service itself:
 * - `user`: a valid access token (header `Authorization: Bearer …`) is required;
 * - `optional-user`: the token is used when present (accepting for an existing account);
 * - `anyone`: no token (login, refresh, token-holder operations);
 * - `operator`: an operator token signed with the service key (bootstrap).
 */
export type OperationAuth = 'user' | 'optional-user' | 'anyone' | 'operator';

export interface OperationContract<Req extends TSchema = TSchema, Rep extends TSchema = TSchema> {
  request: Req;
  reply: Rep;
  auth: OperationAuth;
}

const op = <Req extends TSchema, Rep extends TSchema>(request: Req, reply: Rep, auth: OperationAuth) => ({
  request,
  reply,
  auth,
});

/** Request and reply schema of every operation of the invites service. */
export const operations = {
  'org.create': op(CreateOrgRequest, CreateOrgReply, 'operator'),
  'org.members': op(OrgPageRequest, MemberPage, 'user'),
  'org.usage': op(OrgRef, UsageView, 'user'),
  'org.audit': op(AuditListRequest, AuditPage, 'user'),
  'org.analytics': op(AnalyticsRequest, AnalyticsView, 'user'),
  'org.settings.get': op(OrgRef, OrgSettings, 'user'),
  'org.settings.update': op(UpdateOrgSettingsRequest, OrgSettings, 'user'),
  'org.update': op(UpdateOrgRequest, OrgView, 'user'),
  'org.member.update': op(UpdateMemberRequest, MemberView, 'user'),
  'org.member.remove': op(MemberRef, Empty, 'user'),
  'org.transfer-ownership': op(MemberRef, OwnershipTransferred, 'user'),
  'invite.create': op(CreateInviteRequest, InviteWithLink, 'user'),
  'invite.bulk': op(BulkInviteRequest, BulkInviteReply, 'user'),
  'invite.list': op(ListInvitesRequest, InvitePage, 'user'),
  'invite.get': op(InviteRef, InviteView, 'user'),
  'invite.resend': op(InviteRef, InviteWithLink, 'user'),
  'invite.withdraw': op(InviteRef, InviteView, 'user'),
  'invite.timeline': op(InviteRef, InviteTimeline, 'user'),
  'invite.lookup': op(LookupInviteRequest, InviteLookup, 'anyone'),
  'invite.accept': op(AcceptInviteRequest, AcceptInviteReply, 'optional-user'),
  'invite.decline': op(TokenRequest, DeclineInviteReply, 'anyone'),
  'invite.address.send-code': op(TokenRequest, AddressCodeSent, 'anyone'),
  'invite.address.confirm': op(ConfirmAddressRequest, AddressConfirmed, 'anyone'),
  'inbox.list': op(InboxListRequest, InboxPage, 'user'),
  'inbox.accept': op(InboxInviteRef, InboxAcceptReply, 'user'),
  'inbox.decline': op(InboxInviteRef, DeclineInviteReply, 'user'),
  'join-link.create': op(CreateJoinLinkRequest, JoinLinkWithUrl, 'user'),
  'join-link.list': op(OrgRef, JoinLinkList, 'user'),
  'join-link.get': op(JoinLinkRef, JoinLinkView, 'user'),
  'join-link.update': op(UpdateJoinLinkRequest, JoinLinkView, 'user'),
  'join-link.revoke': op(JoinLinkRef, JoinLinkView, 'user'),
  'join.lookup': op(JoinLookupRequest, JoinLookup, 'optional-user'),
  'join.join': op(JoinRequest, AcceptInviteReply, 'optional-user'),
  'join.send-code': op(JoinCodeRequest, AddressCodeSent, 'anyone'),
  'join.confirm-code': op(JoinConfirmRequest, JoinAddressConfirmed, 'anyone'),
  'webhook.create': op(CreateWebhookRequest, WebhookWithSecret, 'user'),
  'webhook.list': op(OrgRef, WebhookList, 'user'),
  'webhook.get': op(WebhookRef, WebhookView, 'user'),
  'webhook.update': op(UpdateWebhookRequest, WebhookView, 'user'),
  'webhook.delete': op(WebhookRef, Empty, 'user'),
  'webhook.rotate-secret': op(WebhookRef, WebhookWithSecret, 'user'),
  'webhook.test': op(WebhookRef, WebhookDeliveryView, 'user'),
  'webhook.deliveries': op(ListWebhookDeliveriesRequest, WebhookDeliveryPage, 'user'),
  'webhook.delivery.replay': op(WebhookDeliveryRef, WebhookDeliveryView, 'user'),
  'auth.password-reset.request': op(PasswordResetRequest, PasswordResetRequested, 'anyone'),
  'auth.password-reset.confirm': op(PasswordResetConfirm, Empty, 'anyone'),
  'auth.login': op(LoginRequest, TokenPair, 'anyone'),
  'auth.refresh': op(RefreshRequest, TokenPair, 'anyone'),
  'auth.logout': op(Empty, Empty, 'user'),
  'auth.me': op(Empty, MeView, 'user'),
  'auth.check': op(AccessCheckRequest, AccessCheckReply, 'user'),
} as const satisfies Record<OperationName, OperationContract>;

export type Operations = typeof operations;
export type RequestOf<N extends OperationName> = Static<Operations[N]['request']>;
export type ReplyOf<N extends OperationName> = Static<Operations[N]['reply']>;
