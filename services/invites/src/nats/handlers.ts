import type { OperationName, ReplyOf, RequestOf } from '@invite/contracts';
import type { Context } from '../domain/context.ts';
import { inviteAnalytics } from '../domain/analytics.queries.ts';
import { checkAccess, login, logout, me, refresh } from '../domain/auth.commands.ts';
import { bulkCreateInvites, createInvite, resendInvite, withdrawInvite } from '../domain/invite.commands.ts';
import { getInvite, inviteTimeline, listInvites } from '../domain/invite.queries.ts';
import { removeMember, transferOwnership, updateMemberRole } from '../domain/member.commands.ts';
import { createOrg, listAudit, listMembers, updateOrg, usage } from '../domain/org.commands.ts';
import { getOrgSettings, updateOrgSettings } from '../domain/settings.commands.ts';
import { acceptInvite, declineInvite, lookupInvite } from '../domain/token.commands.ts';
import { acceptFromInbox, declineFromInbox, listInbox } from '../domain/inbox.commands.ts';
import { confirmAddress, sendAddressCode } from '../domain/address.commands.ts';
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, rotateWebhookSecret, updateWebhook } from '../webhooks/webhook.commands.ts';
import { listWebhookDeliveries, replayWebhookDelivery, sendTestMessage } from '../webhooks/webhook-deliveries.commands.ts';
import { createJoinLink, getJoinLink, listJoinLinks, revokeJoinLink, updateJoinLink } from '../join-links/join-link.commands.ts';
import { joinThroughLink, lookupJoinLink } from '../join-links/join.commands.ts';
import { confirmJoinCode, sendJoinCode } from '../join-links/join-address.commands.ts';
import { confirmPasswordReset, requestPasswordReset } from '../domain/password-reset.commands.ts';

export type Handler<N extends OperationName> = (ctx: Context, request: RequestOf<N>) => Promise<ReplyOf<N>>;

/** Which domain function answers each operation of the contract. */
export const handlers: { [N in OperationName]: Handler<N> } = {
  'org.create': createOrg,
  'org.members': listMembers,
  'org.usage': (ctx, r) => usage(ctx, r.orgId),
  'org.audit': listAudit,
  'org.analytics': inviteAnalytics,
  'org.settings.get': (ctx, r) => getOrgSettings(ctx, r.orgId),
  'org.settings.update': updateOrgSettings,
  'org.update': updateOrg,
  'org.member.update': updateMemberRole,
  'org.member.remove': removeMember,
  'org.transfer-ownership': transferOwnership,
  'invite.create': (ctx, r) => createInvite(ctx, r.orgId, r.invite, r.requestKey),
  'invite.bulk': (ctx, r) => bulkCreateInvites(ctx, r.orgId, r.rows),
  'invite.list': listInvites,
  'invite.get': (ctx, r) => getInvite(ctx, r.orgId, r.inviteId),
  'invite.resend': (ctx, r) => resendInvite(ctx, r.orgId, r.inviteId),
  'invite.withdraw': (ctx, r) => withdrawInvite(ctx, r.orgId, r.inviteId),
  'invite.timeline': (ctx, r) => inviteTimeline(ctx, r.orgId, r.inviteId),
  'invite.lookup': lookupInvite,
  'invite.accept': acceptInvite,
  'invite.decline': (ctx, r) => declineInvite(ctx, r.token),
  'invite.address.send-code': (ctx, r) => sendAddressCode(ctx, r.token),
  'invite.address.confirm': confirmAddress,
  'inbox.list': listInbox,
  'inbox.accept': acceptFromInbox,
  'inbox.decline': declineFromInbox,
  'join-link.create': createJoinLink,
  'join-link.list': listJoinLinks,
  'join-link.get': getJoinLink,
  'join-link.update': updateJoinLink,
  'join-link.revoke': revokeJoinLink,
  'join.lookup': lookupJoinLink,
  'join.join': joinThroughLink,
  'join.send-code': sendJoinCode,
  'join.confirm-code': confirmJoinCode,
  'webhook.create': createWebhook,
  'webhook.list': listWebhooks,
  'webhook.get': getWebhook,
  'webhook.update': updateWebhook,
  'webhook.delete': deleteWebhook,
  'webhook.rotate-secret': rotateWebhookSecret,
  'webhook.test': sendTestMessage,
  'webhook.deliveries': listWebhookDeliveries,
  'webhook.delivery.replay': replayWebhookDelivery,
  'auth.password-reset.request': requestPasswordReset,
  'auth.password-reset.confirm': confirmPasswordReset,
  'auth.login': login,
  'auth.refresh': (ctx, r) => refresh(ctx, r.refreshToken),
  'auth.logout': (ctx) => logout(ctx),
  'auth.me': (ctx) => me(ctx),
  'auth.check': checkAccess,
};
