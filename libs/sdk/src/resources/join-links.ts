import type { Http, RequestOptions } from '../http.ts';
import { routes } from '../routes.ts';
import { idempotencyHeaders, type IdempotentOptions } from './invites.ts';
import type {
  AcceptInviteReply,
  AddressCodeSent,
  JoinAddressConfirmed,
  JoinCodeRequest,
  JoinConfirmRequest,
  JoinLinkList,
  JoinLinkView,
  JoinLinkWithUrl,
  JoinLookup,
  JoinLookupRequest,
  JoinRequest,
  NewJoinLink,
} from '../types.ts';

/**
 * Join links: multi-use links an organisation's admins and owners share so that people
 * join without an invite each (`create`, `list`, `get`, `pause`, `resume`, `revoke`), and
 * what a link's holder can do with its token (`lookup`, `join`, `sendCode`,
 * `confirmCode`). 404 NOT_FOUND for a link of another organisation.
 */
export function joinLinksResource(http: Http) {
  const patch = (orgId: string, joinLinkId: string, paused: boolean, options: RequestOptions) =>
    http.request<JoinLinkView>(routes['joinLinks.update'], { params: { orgId, joinLinkId }, auth: 'bearer', json: { paused }, signal: options.signal });

  return {
    /**
     * Creates a link; the reply's `url` holds the token and is shown this once. The role is
     * member or admin, never above your own (403 ROLE_NOT_ALLOWED); `maxUses`,
     * `expiresInHours` (default a week) and `allowedDomains` are optional. With an
     * `idempotencyKey`, a retry gets the first answer (and its URL) instead of a second link.
     */
    create(orgId: string, link: NewJoinLink, options: IdempotentOptions = {}): Promise<JoinLinkWithUrl> {
      return http.request<JoinLinkWithUrl>(routes['joinLinks.create'], { params: { orgId }, auth: 'bearer', json: link, headers: idempotencyHeaders(options), signal: options.signal });
    },

    /** The organisation's links, newest first, with state (active, paused, revoked, expired, used_up) and uses; never a token. */
    list(orgId: string, options: RequestOptions = {}): Promise<JoinLinkList> {
      return http.request<JoinLinkList>(routes['joinLinks.list'], { params: { orgId }, auth: 'bearer', signal: options.signal });
    },

    /** One link. */
    get(orgId: string, joinLinkId: string, options: RequestOptions = {}): Promise<JoinLinkView> {
      return http.request<JoinLinkView>(routes['joinLinks.get'], { params: { orgId, joinLinkId }, auth: 'bearer', signal: options.signal });
    },

    /** Pauses a link: joins get 409 JOIN_LINK_PAUSED until it resumes. 409 JOIN_LINK_ALREADY_REVOKED. */
    pause(orgId: string, joinLinkId: string, options: RequestOptions = {}): Promise<JoinLinkView> {
      return patch(orgId, joinLinkId, true, options);
    },

    /** Resumes a paused link. 409 JOIN_LINK_ALREADY_REVOKED. */
    resume(orgId: string, joinLinkId: string, options: RequestOptions = {}): Promise<JoinLinkView> {
      return patch(orgId, joinLinkId, false, options);
    },

    /** Revokes a link for good: its holders get 410 JOIN_LINK_REVOKED. */
    revoke(orgId: string, joinLinkId: string, options: RequestOptions = {}): Promise<JoinLinkView> {
      return http.request<JoinLinkView>(routes['joinLinks.revoke'], { params: { orgId, joinLinkId }, auth: 'bearer', signal: options.signal });
    },

    /** What a link is for (organisation, logo, role, domain rule) and whether it works now; signed in, whether you can join. */
    lookup(request: JoinLookupRequest, options: RequestOptions = {}): Promise<JoinLookup> {
      return http.request<JoinLookup>(routes['joinLinks.lookup'], { params: {}, auth: 'optional', json: request, signal: options.signal });
    },

    /**
     * Joins. Signed in, that account joins; not signed in, an account is created for
     * `email`, which needs the `proof` from `confirmCode` (403 ADDRESS_NOT_VERIFIED).
     * The reply signs in: the client keeps its tokens and hands them to `onTokens`.
     */
    async join(request: JoinRequest, options: RequestOptions = {}): Promise<AcceptInviteReply> {
      const joined = await http.request<AcceptInviteReply>(routes['joinLinks.join'], { params: {}, auth: 'optional', json: request, signal: options.signal });
      await http.setTokens(joined);
      return joined;
    },

    /** Emails a six-digit code to the address to create an account with (it must be at an allowed domain). */
    sendCode(request: JoinCodeRequest, options: RequestOptions = {}): Promise<AddressCodeSent> {
      return http.request<AddressCodeSent>(routes['joinLinks.sendCode'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },

    /** Trades the emailed code for the proof to send with `join`. 403 VERIFICATION_CODE_INVALID, 410 VERIFICATION_CODE_EXPIRED. */
    confirmCode(request: JoinConfirmRequest, options: RequestOptions = {}): Promise<JoinAddressConfirmed> {
      return http.request<JoinAddressConfirmed>(routes['joinLinks.confirmCode'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },
  };
}
