import { createHttp, type ClientOptions, type SessionTokens } from './http.ts';
import { authResource } from './resources/auth.ts';
import { inboxResource } from './resources/inbox.ts';
import { inviteeResource } from './resources/invitee.ts';
import { invitesResource } from './resources/invites.ts';
import { joinLinksResource } from './resources/join-links.ts';
import { orgsResource } from './resources/orgs.ts';
import { webhooksResource } from './resources/webhooks.ts';

/**
 * A client of the invite platform's HTTP API. Methods are grouped as the API is:
 * `auth` (sign-in, tokens, the account), `invites` (an organisation's invites), `orgs`
 * (its people, seats, audit log, analytics, settings, live events), `webhooks` (its
 * webhook endpoints and their delivery logs), `invitee` (what an invite link's holder
 * can do) and `inbox` (the signed-in invitee's pending invites, answered without the link). Every error answer is thrown as a ProblemError.
 */
export function createInviteClient(options: ClientOptions) {
  const http = createHttp(options);
  return {
    auth: authResource(http),
    invites: invitesResource(http),
    orgs: orgsResource(http),
    invitee: inviteeResource(http),
    inbox: inboxResource(http),
    webhooks: webhooksResource(http),
    joinLinks: joinLinksResource(http),
    /** The session's tokens as they are now (null when signed out). */
    get tokens(): SessionTokens | null {
      return http.tokens();
    },
  };
}

export type InviteClient = ReturnType<typeof createInviteClient>;
