export { createInviteClient, type InviteClient } from './client.ts';
export type { ClientOptions, RequestOptions, SessionTokens } from './http.ts';
export { isProblem, ProblemError } from './problem-error.ts';
export { routes, type Route, type RouteName } from './routes.ts';
export { eachItem, eachPage, type Paged } from './pagination.ts';
export type { IdempotentOptions, InviteFilter } from './resources/invites.ts';
export type { EventStreamEnd } from './resources/orgs.ts';
export type { WebhookDeliveryFilter } from './resources/webhooks.ts';
export type * from './types.ts';
