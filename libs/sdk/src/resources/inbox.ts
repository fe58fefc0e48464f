import type { Http, RequestOptions } from '../http.ts';
import { eachItem } from '../pagination.ts';
import { routes } from '../routes.ts';
import type { DeclineInviteReply, InboxAcceptReply, InboxInvite, InboxListRequest, InboxPage } from '../types.ts';

/**
 * The signed-in invitee's inbox: the pending invites addressed to the account's email in
 * every organisation, answered without the link. Invites sent by SMS alone are not in it.
 * 404 NOT_FOUND for an invite that is not addressed to the account; 410 INVITE_EXPIRED,
 * INVITE_WITHDRAWN or INVITE_ALREADY_USED; 409 ALREADY_MEMBER or SEAT_LIMIT_REACHED.
 */
export function inboxResource(http: Http) {
  const list = (query: InboxListRequest = {}, options: RequestOptions = {}) =>
    http.request<InboxPage>(routes['inbox.list'], { params: {}, auth: 'bearer', query, signal: options.signal });

  return {
    /** One page of the inbox, newest first; pass its `nextCursor` as `cursor` for the next. */
    list,

    /** Every invite of the inbox, newest first, fetched a page at a time as the loop goes. */
    listAll(options: RequestOptions = {}): AsyncGenerator<InboxInvite, void, undefined> {
      return eachItem((cursor) => list(cursor ? { cursor } : {}, options));
    },

    /** Accepts: the account joins the organisation; `redirectUrl` is where the organisation wants new members sent, or null. */
    accept(inviteId: string, options: RequestOptions = {}): Promise<InboxAcceptReply> {
      return http.request<InboxAcceptReply>(routes['inbox.accept'], { params: { inviteId }, auth: 'bearer', json: {}, signal: options.signal });
    },

    /** Declines: the invite closes and its seat is free. */
    decline(inviteId: string, options: RequestOptions = {}): Promise<DeclineInviteReply> {
      return http.request<DeclineInviteReply>(routes['inbox.decline'], { params: { inviteId }, auth: 'bearer', json: {}, signal: options.signal });
    },
  };
}
