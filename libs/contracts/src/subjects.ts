/**
 * NATS names. A deployment uses them as they are; a test passes a prefix so that
 * its service endpoints, streams and subjects cannot meet another test's.
 */

/** Every operation of the `invites` service; the endpoint subject is `invites.v1.<name>`. */
export const operationNames = [
  'org.create',
  'org.members',
  'org.usage',
  'org.audit',
  'org.analytics',
  'org.settings.get',
  'org.settings.update',
  'org.update',
  'org.member.update',
  'org.member.remove',
  'org.transfer-ownership',
  'invite.create',
  'invite.bulk',
  'invite.list',
  'invite.get',
  'invite.resend',
  'invite.withdraw',
  'invite.timeline',
  'invite.lookup',
  'invite.accept',
  'invite.decline',
  'invite.address.send-code',
  'invite.address.confirm',
  'inbox.list',
  'inbox.accept',
  'inbox.decline',
  'join-link.create',
  'join-link.list',
  'join-link.get',
  'join-link.update',
  'join-link.revoke',
  'join.lookup',
  'join.join',
  'join.send-code',
  'join.confirm-code',
  'webhook.create',
  'webhook.list',
  'webhook.get',
  'webhook.update',
  'webhook.delete',
  'webhook.rotate-secret',
  'webhook.test',
  'webhook.deliveries',
  'webhook.delivery.replay',
  'auth.password-reset.request',
  'auth.password-reset.confirm',
  'auth.login',
  'auth.refresh',
  'auth.logout',
  'auth.me',
  'auth.check',
] as const;

export type OperationName = (typeof operationNames)[number];

export const inviteEventTypes = ['created', 'resent', 'accepted', 'declined', 'withdrawn', 'expired'] as const;
export type InviteEventType = (typeof inviteEventTypes)[number];

/** Account emails (see `AccountEmailEvent`), on the invite stream's subjects so the notifier's one consumer gets them. */
export const accountEmailTypes = ['address-code', 'password-reset'] as const;
export type AccountEmailType = (typeof accountEmailTypes)[number];

/** Events about an organisation's people and seats (see `OrgEvent`), on the invite stream: `invites.events.<type>`. */
export const orgEventTypes = ['member-role-changed', 'member-removed', 'ownership-transferred', 'seats-changed', 'member-joined'] as const;
export type OrgEventType = (typeof orgEventTypes)[number];

export const notificationEventTypes = ['sent', 'failed', 'dead', 'skipped'] as const;
export type NotificationEventType = (typeof notificationEventTypes)[number];

export interface NatsNames {
  /** Name of the NATS micro-service (also its queue group). */
  service: string;
  /** Subject of one operation's endpoint. */
  operation(name: OperationName): string;
  /** Stream of invite lifecycle events. */
  inviteStream: string;
  /** Subject of one invite event type. */
  inviteEvent(type: InviteEventType): string;
  /** Wildcard covering every invite event (and the account emails beside them). */
  inviteEvents: string;
  /** Subject of one kind of account email (`invites.events.<type>`). */
  accountEmail(type: AccountEmailType): string;
  /** Subject of one organisation event type (`invites.events.<type>`). */
  orgEvent(type: OrgEventType): string;
  /** Stream of delivery results. */
  notificationStream: string;
  notificationEvent(type: NotificationEventType): string;
  notificationEvents: string;
  /**
   * Core NATS, kept in no stream: a delivery result once the invites service has
   * recorded it, re-published as it came. Live views listen here rather than on
   * `notificationEvents`, so a re-read they make on it already shows the result.
   */
  deliveryRecorded: string;
  /** KV bucket of the development mailbox (see `DevMailboxEntry`); development only. */
  devMailbox: string;
  /** KV bucket where services leave their status for the others (the notifier's channels: `ChannelsStatus`). */
  serviceStatus: string;
  /** Durable consumer of the notifier on the invite stream. */
  notifierConsumer: string;
  /** Durable consumer of the invites service on the notification stream. */
  deliveryConsumer: string;
  /** Durable consumer of the webhook dispatcher, one on each stream (a 2.9 server takes one filter subject). */
  webhooksConsumer: string;
}

/**
 * @param prefix optional isolation prefix (letters, digits, `_`); empty in deployments.
 */
export function natsNames(prefix = ''): NatsNames {
  if (prefix && !/^[A-Za-z0-9_]+$/.test(prefix)) {
    throw new Error(`NATS prefix "${prefix}" may hold only letters, digits and underscores`);
  }
  const subject = (s: string) => (prefix ? `${prefix}.${s}` : s);
  const stream = (s: string) => (prefix ? `${prefix}_${s}` : s);
  return {
    service: 'invites',
    operation: (name) => subject(`invites.v1.${name}`),
    inviteStream: stream('INVITES'),
    inviteEvent: (type) => subject(`invites.events.${type}`),
    inviteEvents: subject('invites.events.>'),
    accountEmail: (type) => subject(`invites.events.${type}`),
    orgEvent: (type) => subject(`invites.events.${type}`),
    notificationStream: stream('NOTIFICATIONS'),
    notificationEvent: (type) => subject(`notifications.events.${type}`),
    notificationEvents: subject('notifications.events.>'),
    deliveryRecorded: subject('invites.live.delivery'),
    devMailbox: stream('dev_mailbox'),
    serviceStatus: stream('service_status'),
    notifierConsumer: 'notifier',
    deliveryConsumer: 'invites-delivery',
    webhooksConsumer: 'webhooks',
  };
}
