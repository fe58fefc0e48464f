/** One route of the API: its method and its path template, written as OpenAPI writes it. */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: `/v1/${string}`;
}

/**
 * Every route the SDK calls, by the name of the method that calls it. Methods take their
 * route from here, so the coverage test can hold this table against the gateway's
 * OpenAPI document: a route of the API with no entry here is a route the SDK forgot.
 */
export const routes = {
  'auth.login': { method: 'POST', path: '/v1/auth/login' },
  'auth.refresh': { method: 'POST', path: '/v1/auth/refresh' },
  'auth.logout': { method: 'POST', path: '/v1/auth/logout' },
  'auth.me': { method: 'GET', path: '/v1/me' },
  'auth.requestPasswordReset': { method: 'POST', path: '/v1/auth/password-reset' },
  'auth.confirmPasswordReset': { method: 'POST', path: '/v1/auth/password-reset/confirm' },

  'invites.create': { method: 'POST', path: '/v1/orgs/{orgId}/invites' },
  'invites.bulk': { method: 'POST', path: '/v1/orgs/{orgId}/invites/bulk' },
  'invites.list': { method: 'GET', path: '/v1/orgs/{orgId}/invites' },
  'invites.get': { method: 'GET', path: '/v1/orgs/{orgId}/invites/{inviteId}' },
  'invites.resend': { method: 'POST', path: '/v1/orgs/{orgId}/invites/{inviteId}/resend' },
  'invites.withdraw': { method: 'DELETE', path: '/v1/orgs/{orgId}/invites/{inviteId}' },
  'invites.timeline': { method: 'GET', path: '/v1/orgs/{orgId}/invites/{inviteId}/timeline' },
  'invites.channels': { method: 'GET', path: '/v1/channels' },

  'orgs.update': { method: 'PATCH', path: '/v1/orgs/{orgId}' },
  'orgs.members': { method: 'GET', path: '/v1/orgs/{orgId}/members' },
  'orgs.updateMember': { method: 'PATCH', path: '/v1/orgs/{orgId}/members/{userId}' },
  'orgs.removeMember': { method: 'DELETE', path: '/v1/orgs/{orgId}/members/{userId}' },
  'orgs.transferOwnership': { method: 'POST', path: '/v1/orgs/{orgId}/transfer-ownership' },
  'orgs.usage': { method: 'GET', path: '/v1/orgs/{orgId}/usage' },
  'orgs.audit': { method: 'GET', path: '/v1/orgs/{orgId}/audit' },
  'orgs.analytics': { method: 'GET', path: '/v1/orgs/{orgId}/analytics' },
  'orgs.settings': { method: 'GET', path: '/v1/orgs/{orgId}/settings' },
  'orgs.updateSettings': { method: 'PATCH', path: '/v1/orgs/{orgId}/settings' },
  'orgs.previewEmail': { method: 'POST', path: '/v1/orgs/{orgId}/settings/preview' },
  'orgs.events': { method: 'GET', path: '/v1/orgs/{orgId}/events' },

  'webhooks.create': { method: 'POST', path: '/v1/orgs/{orgId}/webhooks' },
  'webhooks.list': { method: 'GET', path: '/v1/orgs/{orgId}/webhooks' },
  'webhooks.get': { method: 'GET', path: '/v1/orgs/{orgId}/webhooks/{webhookId}' },
  'webhooks.update': { method: 'PATCH', path: '/v1/orgs/{orgId}/webhooks/{webhookId}' },
  'webhooks.delete': { method: 'DELETE', path: '/v1/orgs/{orgId}/webhooks/{webhookId}' },
  'webhooks.rotateSecret': { method: 'POST', path: '/v1/orgs/{orgId}/webhooks/{webhookId}/rotate-secret' },
  'webhooks.test': { method: 'POST', path: '/v1/orgs/{orgId}/webhooks/{webhookId}/test' },
  'webhooks.deliveries': { method: 'GET', path: '/v1/orgs/{orgId}/webhooks/{webhookId}/deliveries' },
  'webhooks.replayDelivery': { method: 'POST', path: '/v1/orgs/{orgId}/webhooks/{webhookId}/deliveries/{deliveryId}/replay' },

  'joinLinks.create': { method: 'POST', path: '/v1/orgs/{orgId}/join-links' },
  'joinLinks.list': { method: 'GET', path: '/v1/orgs/{orgId}/join-links' },
  'joinLinks.get': { method: 'GET', path: '/v1/orgs/{orgId}/join-links/{joinLinkId}' },
  'joinLinks.update': { method: 'PATCH', path: '/v1/orgs/{orgId}/join-links/{joinLinkId}' },
  'joinLinks.revoke': { method: 'DELETE', path: '/v1/orgs/{orgId}/join-links/{joinLinkId}' },
  'joinLinks.lookup': { method: 'POST', path: '/v1/join-links/lookup' },
  'joinLinks.join': { method: 'POST', path: '/v1/join-links/join' },
  'joinLinks.sendCode': { method: 'POST', path: '/v1/join-links/verify-email' },
  'joinLinks.confirmCode': { method: 'POST', path: '/v1/join-links/verify-email/confirm' },

  'invitee.lookup': { method: 'POST', path: '/v1/invites/lookup' },
  'invitee.accept': { method: 'POST', path: '/v1/invites/accept' },
  'invitee.decline': { method: 'POST', path: '/v1/invites/decline' },
  'invitee.sendCode': { method: 'POST', path: '/v1/invites/verify-email' },
  'invitee.confirmCode': { method: 'POST', path: '/v1/invites/verify-email/confirm' },

  'inbox.list': { method: 'GET', path: '/v1/me/invites' },
  'inbox.accept': { method: 'POST', path: '/v1/me/invites/{inviteId}/accept' },
  'inbox.decline': { method: 'POST', path: '/v1/me/invites/{inviteId}/decline' },
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof routes;

/** The path parameters a template names: `{orgId}` → `{ orgId: string }`. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? { [K in Name | keyof PathParams<Rest>]: string } : Record<never, string>;

/** The path of `route` with its parameters filled in, each percent-encoded. */
export function pathOf(route: Route, params: Record<string, string>): string {
  return route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${route.method} ${route.path}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
