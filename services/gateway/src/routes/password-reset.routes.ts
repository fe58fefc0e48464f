import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { DomainError, PasswordResetConfirm, PasswordResetRequest, PasswordResetRequested } from '@invite/contracts';
import { callOptions, enforceLimit, problems, type GatewayDeps } from './support.ts';

const fifteenMinutes = 15 * 60_000;
const hour = 60 * 60_000;

/**
 * Password reset by email. Asking is limited per client and per address: the address
 * limit holds whether or not the address has an account, so its 429 reveals nothing,
 * and it keeps anyone from filling a mailbox with reset links.
 */
export const passwordResetRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const clientRule = { name: 'password-reset', limit: deps.config.PASSWORD_RESET_LIMIT_PER_15MIN, windowMs: fifteenMinutes };
  const addressLimit = deps.config.PASSWORD_RESET_LIMIT_PER_ADDRESS_PER_HOUR;

  async function limitAddress(email: string, reply: FastifyReply): Promise<void> {
    if (!deps.limiter) return;
    const decision = await deps.limiter.hit('password-reset-address', `email:${email.toLowerCase()}`, addressLimit, hour);
    if (decision.allowed) return;
    deps.metrics.rateLimited.inc({ rule: 'password-reset-address' });
    reply.header('ratelimit-remaining', '0');
    throw new DomainError('RATE_LIMITED', {
      detail: `A password reset was asked for this address ${addressLimit} times in the last hour; try again in ${decision.retryAfter} s`,
      retryAfter: decision.retryAfter,
    });
  }

  app.post(
    '/v1/auth/password-reset',
    {
      schema: {
        tags: ['auth'],
        summary: 'Email a link to choose a new password',
        description:
          'Always 202 with the same body, whether or not the address has an account: nothing here tells which addresses have one. If it has one, a single-use link (`APP_BASE_URL/reset-password#token=…`) working for `linkValidMinutes` is emailed to it. Limited per client (`PASSWORD_RESET_LIMIT_PER_15MIN`) and per address (`PASSWORD_RESET_LIMIT_PER_ADDRESS_PER_HOUR`), for every address alike.',
        body: PasswordResetRequest,
        response: { 202: PasswordResetRequested, ...problems(400, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, clientRule, request, reply);
      await limitAddress(request.body.email, reply);
      const requested = await deps.client.call('auth.password-reset.request', request.body, callOptions(deps, request));
      return reply.code(202).send(requested);
    },
  );

  app.post(
    '/v1/auth/password-reset/confirm',
    {
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the emailed link',
        description:
          'The token from the link and the new password (the same rules as a new account). The link works once; every other reset link of the account dies with it, and every session of the account is signed out. 410 PASSWORD_RESET_LINK_INVALID for a used, replaced or expired link.',
        body: PasswordResetConfirm,
        response: { 204: Type.Null(), ...problems(400, 410, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, clientRule, request, reply);
      await deps.client.call('auth.password-reset.confirm', request.body, callOptions(deps, request));
      return reply.code(204).send(null);
    },
  );
};
