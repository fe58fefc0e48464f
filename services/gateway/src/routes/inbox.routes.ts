import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DeclineInviteReply, InboxAcceptReply, InboxInviteRef, InboxListRequest, InboxPage } from '@invite/contracts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

const trust =
  'The inbox trusts the account\'s email as the invited address because every account proved it: accounts are created only with an address proof (the emailed link, or a code emailed to the address) or by the operator\'s create-org for an organisation\'s first owner.';

/**
 * The invitee's inbox: the pending invites addressed to the signed-in account's email, in
 * every organisation, answered without the link. Limited like the other signed-in
 * writes: by the session, not per client.
 */
export const inboxRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const common = { tags: ['invitee'], security: [{ bearer: [] }] };

  app.get(
    '/v1/me/invites',
    {
      schema: {
        ...common,
        summary: 'Pending invites addressed to your email, in every organisation, newest first',
        description: `Pending, unexpired invites whose invited email is the signed-in account's, a page at a time (limit, cursor). Invites sent by SMS alone are addressed to a phone, not an email, and are not listed; link-only invites (channels []) are. Items never carry the token or the link. ${trust}`,
        querystring: InboxListRequest,
        response: { 200: InboxPage, ...problems(400, 401, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('inbox.list', request.query, callOptions(deps, request, token));
    },
  );

  app.post(
    '/v1/me/invites/:inviteId/accept',
    {
      schema: {
        ...common,
        summary: 'Accept an invite of your inbox, without the link',
        description:
          'The same rules as accepting by link: a seat is taken under the organisation\'s lock, the audit log and the invite.accepted event (and member.joined webhook) follow. 404 NOT_FOUND for an invite that is not addressed to you, as for one that does not exist; 410 INVITE_EXPIRED, INVITE_WITHDRAWN or INVITE_ALREADY_USED; 409 ALREADY_MEMBER or SEAT_LIMIT_REACHED. `redirectUrl` is the page the organisation wants new members sent to, when its origin is still allowed. Your session goes on as it was.',
        params: InboxInviteRef,
        response: { 200: InboxAcceptReply, ...problems(400, 401, 404, 409, 410, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('inbox.accept', request.params, callOptions(deps, request, token));
    },
  );

  app.post(
    '/v1/me/invites/:inviteId/decline',
    {
      schema: {
        ...common,
        summary: 'Decline an invite of your inbox, without the link',
        description:
          'The invite closes (its link stops working) and its seat is free; the organisation sees it declined. 404 NOT_FOUND for an invite that is not addressed to you; 410 when it is no longer pending.',
        params: InboxInviteRef,
        response: { 200: DeclineInviteReply, ...problems(400, 401, 404, 410, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('inbox.decline', request.params, callOptions(deps, request, token));
    },
  );
};
