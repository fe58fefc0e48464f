import { readServerSentEvents } from '../event-stream.ts';
import type { Http, RequestOptions } from '../http.ts';
import { eachItem } from '../pagination.ts';
import { routes } from '../routes.ts';
import type {
  AnalyticsQuery,
  AnalyticsView,
  AuditEntryView,
  AuditPage,
  AuditQuery,
  ConsoleEvent,
  MemberPage,
  MemberPatch,
  MemberView,
  OrgSettings,
  OrgPatch,
  OrgSettingsPatch,
  OrgView,
  OwnershipTransfer,
  OwnershipTransferred,
  PageQuery,
  PreviewRequest,
  RenderedEmail,
  UsageView,
} from '../types.ts';

/** Why the server ended a live event stream (its `end` event), e.g. `server-closing`, or the code of a lost access such as `FORBIDDEN`. */
export type EventStreamEnd = string;

/** An organisation: its people, seats, audit log, analytics, email settings and live events (admins and owners). */
export function orgsResource(http: Http) {
  const members = (orgId: string, page: PageQuery = {}, options: RequestOptions = {}) =>
    http.request<MemberPage>(routes['orgs.members'], { params: { orgId }, auth: 'bearer', query: page, signal: options.signal });
  const audit = (orgId: string, query: AuditQuery = {}, options: RequestOptions = {}) =>
    http.request<AuditPage>(routes['orgs.audit'], { params: { orgId }, auth: 'bearer', query, signal: options.signal });

  return {
    /** Changes the seat limit (owners); never below the seats in use: 409 SEAT_LIMIT_BELOW_USAGE says how many are. */
    update(orgId: string, patch: OrgPatch, options: RequestOptions = {}): Promise<OrgView> {
      return http.request<OrgView>(routes['orgs.update'], { params: { orgId }, auth: 'bearer', json: patch, signal: options.signal });
    },

    /** One page of members, oldest first. */
    members,

    /** Every member, a page at a time as the loop goes. */
    allMembers(orgId: string, page: Omit<PageQuery, 'cursor'> = {}, options: RequestOptions = {}): AsyncGenerator<MemberView, void, undefined> {
      return eachItem((cursor) => members(orgId, { ...page, ...(cursor ? { cursor } : {}) }, options));
    },

    /**
     * Changes a member's role: owners change anyone's, admins change admins' and members'
     * to admin or member (403 ROLE_NOT_ALLOWED above their own, 403 FORBIDDEN for an
     * owner). 409 LAST_OWNER for the last owner.
     */
    updateMember(orgId: string, userId: string, patch: MemberPatch, options: RequestOptions = {}): Promise<MemberView> {
      return http.request<MemberView>(routes['orgs.updateMember'], { params: { orgId, userId }, auth: 'bearer', json: patch, signal: options.signal });
    },

    /** Removes a member, or leaves (your own user id); the seat is free at once. 409 LAST_OWNER for the last owner. */
    async removeMember(orgId: string, userId: string, options: RequestOptions = {}): Promise<void> {
      await http.request<void>(routes['orgs.removeMember'], { params: { orgId, userId }, auth: 'bearer', signal: options.signal });
    },

    /** Makes another member owner; the caller becomes an admin (owners). */
    transferOwnership(orgId: string, transfer: OwnershipTransfer, options: RequestOptions = {}): Promise<OwnershipTransferred> {
      return http.request<OwnershipTransferred>(routes['orgs.transferOwnership'], { params: { orgId }, auth: 'bearer', json: transfer, signal: options.signal });
    },

    /** Seats: the limit, members, pending invites and what is left. */
    usage(orgId: string, options: RequestOptions = {}): Promise<UsageView> {
      return http.request<UsageView>(routes['orgs.usage'], { params: { orgId }, auth: 'bearer', signal: options.signal });
    },

    /** One page of the audit log, newest first, each entry with its actor's name and a sentence; `action` and `actor` filter it. */
    audit,

    /** The whole audit log (or what the filter keeps), newest first, a page at a time as the loop goes. */
    allAudit(orgId: string, filter: Omit<AuditQuery, 'cursor'> = {}, options: RequestOptions = {}): AsyncGenerator<AuditEntryView, void, undefined> {
      return eachItem((cursor) => audit(orgId, { ...filter, ...(cursor ? { cursor } : {}) }, options));
    },

    /** What became of the invites created from `from` to `to` (UTC days, both included, at most 366). */
    analytics(orgId: string, period: AnalyticsQuery, options: RequestOptions = {}): Promise<AnalyticsView> {
      return http.request<AnalyticsView>(routes['orgs.analytics'], { params: { orgId }, auth: 'bearer', query: period, signal: options.signal });
    },

    /** Email template, branding and default locale (null fields: the built-in ones). */
    settings(orgId: string, options: RequestOptions = {}): Promise<OrgSettings> {
      return http.request<OrgSettings>(routes['orgs.settings'], { params: { orgId }, auth: 'bearer', signal: options.signal });
    },

    /** Changes the fields given; null restores a built-in. */
    updateSettings(orgId: string, patch: OrgSettingsPatch, options: RequestOptions = {}): Promise<OrgSettings> {
      return http.request<OrgSettings>(routes['orgs.updateSettings'], { params: { orgId }, auth: 'bearer', json: patch, signal: options.signal });
    },

    /** The invite email as it would be sent, with the saved settings overlaid by the given ones; nothing is saved. */
    previewEmail(orgId: string, preview: PreviewRequest = {}, options: RequestOptions = {}): Promise<RenderedEmail> {
      return http.request<RenderedEmail>(routes['orgs.previewEmail'], { params: { orgId }, auth: 'bearer', json: preview, signal: options.signal });
    },

    /**
     * The organisation's invite and delivery events, live, until the server ends the
     * stream (the loop ends, and the generator returns the reason), the signal aborts or
     * the loop breaks. There is no replay: after a reconnect, re-read the list. 429
     * RATE_LIMITED when the caller holds too many streams.
     */
    async *events(orgId: string, options: RequestOptions = {}): AsyncGenerator<ConsoleEvent, EventStreamEnd | undefined, undefined> {
      const response = await http.open(routes['orgs.events'], { params: { orgId }, auth: 'bearer', headers: { accept: 'text/event-stream' }, signal: options.signal });
      if (!response.body) return undefined;
      for await (const frame of readServerSentEvents(response.body)) {
        if (frame.event === 'invite') yield JSON.parse(frame.data) as ConsoleEvent;
        else if (frame.event === 'end') return (JSON.parse(frame.data) as { reason: EventStreamEnd }).reason;
      }
      return undefined;
    },
  };
}
