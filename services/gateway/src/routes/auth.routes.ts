import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LoginRequest, MeView, RefreshRequest, TokenPair } from '@invite/contracts';
import { passwordResetRoutes } from './password-reset.routes.ts';
import { callOptions, enforceLimit, problems, requireUser, type GatewayDeps } from './support.ts';

const fifteenMinutes = 15 * 60_000;

/** Sign-in, token rotation, sign-out and the caller's own account. */
export const authRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const loginRule = { name: 'login', limit: deps.config.LOGIN_LIMIT_PER_15MIN, windowMs: fifteenMinutes };
  const refreshRule = { name: 'refresh', limit: deps.config.REFRESH_LIMIT_PER_15MIN, windowMs: fifteenMinutes };
  await app.register(passwordResetRoutes, { deps });

  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password',
        body: LoginRequest,
        response: { 200: TokenPair, ...problems(400, 401, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, loginRule, request, reply);
      return deps.client.call('auth.login', request.body, callOptions(deps, request));
    },
  );

  app.post(
    '/v1/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Trade a refresh token for a new pair (the old one stops working)',
        description: 'Presenting a refresh token that was already rotated revokes every session of that sign-in.',
        body: RefreshRequest,
        response: { 200: TokenPair, ...problems(400, 401, 429, 503, 504) },
      },
    },
    async (request, reply) => {
      await enforceLimit(deps, refreshRule, request, reply);
      return deps.client.call('auth.refresh', request.body, callOptions(deps, request));
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End this session: its access and refresh tokens stop working',
        security: [{ bearer: [] }],
        response: { 204: Type.Null(), ...problems(401, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token } = requireUser(deps, request);
      await deps.client.call('auth.logout', {}, callOptions(deps, request, token));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in account and its memberships',
        security: [{ bearer: [] }],
        response: { 200: MeView, ...problems(401, 503, 504) },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('auth.me', {}, callOptions(deps, request, token));
    },
  );
};
