import type { Http, RequestOptions } from '../http.ts';
import { routes } from '../routes.ts';
import type {
  AcceptInviteReply,
  AcceptInviteRequest,
  AddressCodeSent,
  AddressConfirmed,
  ConfirmAddressRequest,
  DeclineInviteReply,
  InviteLookup,
  LookupInviteRequest,
  TokenRequest,
} from '../types.ts';

/**
 * What the holder of an invite link can do with its token (and, from the emailed link,
 * its address proof). 404 INVITE_NOT_FOUND; 410 INVITE_EXPIRED, INVITE_WITHDRAWN or
 * INVITE_ALREADY_USED; 429 RATE_LIMITED.
 */
export function inviteeResource(http: Http) {
  return {
    /** What the link is for: organisation, inviter, role, email, expiry; whether the address has an account only with a valid proof. */
    lookup(request: LookupInviteRequest, options: RequestOptions = {}): Promise<InviteLookup> {
      return http.request<InviteLookup>(routes['invitee.lookup'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },

    /**
     * Accepts. Signed in, the invite is accepted for that account, whose email must be the
     * invited one (403 EMAIL_MISMATCH); not signed in, an account is created from name,
     * username and password, which needs the address proof (403 ADDRESS_NOT_VERIFIED).
     * Either way the reply signs in: the client keeps its tokens and hands them to `onTokens`.
     */
    async accept(request: AcceptInviteRequest, options: RequestOptions = {}): Promise<AcceptInviteReply> {
      const accepted = await http.request<AcceptInviteReply>(routes['invitee.accept'], { params: {}, auth: 'optional', json: request, signal: options.signal });
      await http.setTokens(accepted);
      return accepted;
    },

    /** Declines: the link stops working and the seat is free. */
    decline(request: TokenRequest, options: RequestOptions = {}): Promise<DeclineInviteReply> {
      return http.request<DeclineInviteReply>(routes['invitee.decline'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },

    /** Emails a six-digit code to the invited address, for a link that did not come by email (an SMS, a copy from the inviter). */
    sendCode(request: TokenRequest, options: RequestOptions = {}): Promise<AddressCodeSent> {
      return http.request<AddressCodeSent>(routes['invitee.sendCode'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },

    /** Trades the emailed code for the address proof to send with lookup and accept. 403 VERIFICATION_CODE_INVALID, 410 VERIFICATION_CODE_EXPIRED. */
    confirmCode(request: ConfirmAddressRequest, options: RequestOptions = {}): Promise<AddressConfirmed> {
      return http.request<AddressConfirmed>(routes['invitee.confirmCode'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },
  };
}
