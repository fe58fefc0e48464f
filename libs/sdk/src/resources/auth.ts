import type { Http, RequestOptions } from '../http.ts';
import { routes } from '../routes.ts';
import type { LoginRequest, MeView, PasswordResetConfirm, PasswordResetRequest, PasswordResetRequested, TokenPair } from '../types.ts';

/** Signing in and out, the session's tokens, and the signed-in account. */
export function authResource(http: Http) {
  return {
    /** Signs in: the client keeps the tokens for later calls and hands them to `onTokens`. 401 INVALID_CREDENTIALS, 429 RATE_LIMITED. */
    async login(credentials: LoginRequest, options: RequestOptions = {}): Promise<TokenPair> {
      const pair = await http.request<TokenPair>(routes['auth.login'], { params: {}, auth: 'none', json: credentials, signal: options.signal });
      await http.setTokens(pair);
      return pair;
    },

    /**
     * Trades the refresh token (the session's, or the one given) for a new pair, which the
     * client keeps. Calls that get a 401 for an expired access token do this on their
     * own; concurrent refreshes share one request. 401 INVALID_REFRESH_TOKEN or
     * REFRESH_TOKEN_REUSED end the session (`onTokens(null)`).
     */
    refresh(refreshToken?: string): Promise<TokenPair> {
      return http.refresh(refreshToken);
    },

    /** Ends the session on the server (its access and refresh tokens stop working) and forgets it here. */
    async logout(options: RequestOptions = {}): Promise<void> {
      await http.request<void>(routes['auth.logout'], { params: {}, auth: 'bearer', signal: options.signal });
      await http.setTokens(null);
    },

    /** The signed-in account and its memberships. */
    me(options: RequestOptions = {}): Promise<MeView> {
      return http.request<MeView>(routes['auth.me'], { params: {}, auth: 'bearer', signal: options.signal });
    },

    /**
     * Asks for a password reset link by email. The answer is the same whether or not the
     * address has an account (nothing tells which addresses have one). 429 RATE_LIMITED.
     */
    requestPasswordReset(request: PasswordResetRequest, options: RequestOptions = {}): Promise<PasswordResetRequested> {
      return http.request<PasswordResetRequested>(routes['auth.requestPasswordReset'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },

    /**
     * Sets a new password with the token of the emailed link; every session of the account
     * is signed out. 400 naming `/password` for a password the rules refuse; 410
     * PASSWORD_RESET_LINK_INVALID for a used, replaced or expired link.
     */
    async confirmPasswordReset(request: PasswordResetConfirm, options: RequestOptions = {}): Promise<void> {
      await http.request<void>(routes['auth.confirmPasswordReset'], { params: {}, auth: 'none', json: request, signal: options.signal });
    },
  };
}
