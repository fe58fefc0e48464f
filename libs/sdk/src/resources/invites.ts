import type { Http, RequestOptions } from '../http.ts';
import { eachItem, eachPage } from '../pagination.ts';
import { routes } from '../routes.ts';
import type { BulkInviteReply, ChannelsStatus, InviteListQuery, InvitePage, InviteTimeline, InviteView, InviteWithLink, NewInvite } from '../types.ts';

/** Options of a create or bulk upload. */
export interface IdempotentOptions extends RequestOptions {
  /**
   * Makes retries safe: a repeat with the same key and body within 24 hours gets the
   * first answer again instead of a second invite. Use a random key (a UUID) per
   * intended request, and the same one for each retry of it.
   */
  idempotencyKey?: string;
}

/** What a whole-list iteration filters on; the cursor is the iterator's business. */
export type InviteFilter = Omit<InviteListQuery, 'cursor'>;

/** The Idempotency-Key header of `options`, if it has a key. */
export function idempotencyHeaders(options: IdempotentOptions): Record<string, string> {
  return options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey };
}

/** An organisation's invites (admins and owners). */
export function invitesResource(http: Http) {
  const list = (orgId: string, query: InviteListQuery = {}, options: RequestOptions = {}) =>
    http.request<InvitePage>(routes['invites.list'], { params: { orgId }, auth: 'bearer', query, signal: options.signal });

  return {
    /**
     * Invites someone. The reply holds the accept link, shown only here. 409
     * INVITE_ALREADY_PENDING, ALREADY_MEMBER or SEAT_LIMIT_REACHED; 403 ROLE_NOT_ALLOWED;
     * 422 IDEMPOTENCY_KEY_REUSED for a key used with another body.
     */
    create(orgId: string, invite: NewInvite, options: IdempotentOptions = {}): Promise<InviteWithLink> {
      return http.request<InviteWithLink>(routes['invites.create'], { params: { orgId }, auth: 'bearer', json: invite, headers: idempotencyHeaders(options), signal: options.signal });
    },

    /** Invites up to 1000 people at once; each row gets its own result, and one bad row does not stop the others. */
    bulk(orgId: string, rows: NewInvite[], options: IdempotentOptions = {}): Promise<BulkInviteReply> {
      return http.request<BulkInviteReply>(routes['invites.bulk'], { params: { orgId }, auth: 'bearer', json: rows, headers: idempotencyHeaders(options), signal: options.signal });
    },

    /**
     * The same from a CSV file: a header line naming any of email, phone, role,
     * expiresInHours, channels (`email;sms`, or `none`), locale, message; a row per invite.
     */
    bulkCsv(orgId: string, csv: string, options: IdempotentOptions = {}): Promise<BulkInviteReply> {
      return http.request<BulkInviteReply>(routes['invites.bulk'], { params: { orgId }, auth: 'bearer', csv, headers: idempotencyHeaders(options), signal: options.signal });
    },

    /** One page of invites, newest first; pass its `nextCursor` as `cursor` for the next. */
    list,

    /** Every invite matching the filter, newest first, fetched a page at a time as the loop goes. */
    listAll(orgId: string, filter: InviteFilter = {}, options: RequestOptions = {}): AsyncGenerator<InviteView, void, undefined> {
      return eachItem((cursor) => list(orgId, { ...filter, ...(cursor ? { cursor } : {}) }, options));
    },

    /** Every page of invites matching the filter, as the loop asks for them. */
    listPages(orgId: string, filter: InviteFilter = {}, options: RequestOptions = {}): AsyncGenerator<InvitePage, void, undefined> {
      return eachPage((cursor) => list(orgId, { ...filter, ...(cursor ? { cursor } : {}) }, options));
    },

    /** One invite with its delivery state per channel. 404 NOT_FOUND (also for another organisation's). */
    get(orgId: string, inviteId: string, options: RequestOptions = {}): Promise<InviteView> {
      return http.request<InviteView>(routes['invites.get'], { params: { orgId, inviteId }, auth: 'bearer', signal: options.signal });
    },

    /** The invite with its delivery state per channel and what happened to it, oldest first, from the audit log. */
    timeline(orgId: string, inviteId: string, options: RequestOptions = {}): Promise<InviteTimeline> {
      return http.request<InviteTimeline>(routes['invites.timeline'], { params: { orgId, inviteId }, auth: 'bearer', signal: options.signal });
    },

    /** Sends again with a new link (the old one stops working) and a renewed expiry. 409 INVITE_NOT_PENDING, 429 RESEND_COOLDOWN. */
    resend(orgId: string, inviteId: string, options: RequestOptions = {}): Promise<InviteWithLink> {
      return http.request<InviteWithLink>(routes['invites.resend'], { params: { orgId, inviteId }, auth: 'bearer', signal: options.signal });
    },

    /** Withdraws a pending invite: its link stops working and its seat is free. 409 INVITE_NOT_PENDING. */
    withdraw(orgId: string, inviteId: string, options: RequestOptions = {}): Promise<InviteView> {
      return http.request<InviteView>(routes['invites.withdraw'], { params: { orgId, inviteId }, auth: 'bearer', signal: options.signal });
    },

    /** Which delivery channels (email, SMS) can send on this deployment; one that cannot says why. */
    channels(options: RequestOptions = {}): Promise<ChannelsStatus> {
      return http.request<ChannelsStatus>(routes['invites.channels'], { params: {}, auth: 'bearer', signal: options.signal });
    },
  };
}
