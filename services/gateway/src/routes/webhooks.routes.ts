import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  NewWebhook,
  OrgParams,
  WebhookDeliveryPage,
  WebhookDeliveryQuery,
  WebhookDeliveryRef,
  WebhookDeliveryView,
  WebhookList,
  WebhookParams,
  WebhookPatch,
  WebhookView,
  WebhookWithSecret,
} from '@invite/contracts';
import { callOptions, problems, requireUser, type GatewayDeps } from './support.ts';

const signing =
  'Each delivery is a POST of `{type, timestamp, data}` signed per Standard Webhooks: headers `webhook-id`, `webhook-timestamp` (Unix seconds) and ' +
  '`webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the base64 key after `whsec_`; two space-separated signatures during a rotation).';

/** An organisation's webhook endpoints, their delivery logs, test messages and replays (admins and owners). */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const common = { tags: ['webhooks'], security: [{ bearer: [] }] };
  const errors = problems(400, 401, 403, 404, 503, 504);

  app.post(
    '/v1/orgs/:orgId/webhooks',
    {
      schema: {
        ...common,
        params: OrgParams,
        summary: 'Register an endpoint; the reply holds its signing secret, shown this once',
        description:
          `The URL must be https and its host must resolve to public addresses only (no loopback, private, link-local, multicast or unspecified ` +
          `address, IPv4 or IPv6); it is checked again at every delivery. ${signing}`,
        body: NewWebhook,
        response: { 201: WebhookWithSecret, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token } = requireUser(deps, request);
      const created = await deps.client.call('webhook.create', { orgId: request.params.orgId, ...request.body }, callOptions(deps, request, token));
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/orgs/:orgId/webhooks',
    { schema: { ...common, params: OrgParams, summary: 'Every endpoint of the organisation, oldest first', response: { 200: WebhookList, ...errors } } },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('webhook.list', { orgId: request.params.orgId }, callOptions(deps, request, token));
    },
  );

  app.get(
    '/v1/orgs/:orgId/webhooks/:webhookId',
    { schema: { ...common, params: WebhookParams, summary: 'One endpoint', response: { 200: WebhookView, ...errors } } },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('webhook.get', request.params, callOptions(deps, request, token));
    },
  );

  app.patch(
    '/v1/orgs/:orgId/webhooks/:webhookId',
    {
      schema: {
        ...common,
        params: WebhookParams,
        summary: 'Change the URL, event types, note or state; absent fields stay as they are',
        description: 'enabled: false stops deliveries and cancels those queued; enabled: true starts them again and forgets past failures.',
        body: WebhookPatch,
        response: { 200: WebhookView, ...errors },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('webhook.update', { ...request.params, ...request.body }, callOptions(deps, request, token));
    },
  );

  app.delete(
    '/v1/orgs/:orgId/webhooks/:webhookId',
    { schema: { ...common, params: WebhookParams, summary: 'Delete an endpoint: nothing more is sent to it', response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const { token } = requireUser(deps, request);
      await deps.client.call('webhook.delete', request.params, callOptions(deps, request, token));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/orgs/:orgId/webhooks/:webhookId/rotate-secret',
    {
      schema: {
        ...common,
        params: WebhookParams,
        summary: 'A new signing secret, shown this once; the previous one keeps signing too during the grace period (24 h by default)',
        response: { 200: WebhookWithSecret, ...errors },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('webhook.rotate-secret', request.params, callOptions(deps, request, token));
    },
  );

  app.post(
    '/v1/orgs/:orgId/webhooks/:webhookId/test',
    {
      schema: {
        ...common,
        params: WebhookParams,
        summary: 'Queue a webhook.test message to the endpoint; follow it in the delivery log',
        response: { 202: WebhookDeliveryView, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token } = requireUser(deps, request);
      return reply.code(202).send(await deps.client.call('webhook.test', request.params, callOptions(deps, request, token)));
    },
  );

  app.get(
    '/v1/orgs/:orgId/webhooks/:webhookId/deliveries',
    {
      schema: {
        ...common,
        params: WebhookParams,
        summary: 'The delivery log, newest first: state, attempts, response status, latency, errors, payload',
        querystring: WebhookDeliveryQuery,
        response: { 200: WebhookDeliveryPage, ...errors },
      },
    },
    async (request) => {
      const { token } = requireUser(deps, request);
      return deps.client.call('webhook.deliveries', { ...request.params, ...request.query }, callOptions(deps, request, token));
    },
  );

  app.post(
    '/v1/orgs/:orgId/webhooks/:webhookId/deliveries/:deliveryId/replay',
    {
      schema: {
        ...common,
        params: WebhookDeliveryRef,
        summary: 'Send a delivery again, as a new delivery with the same webhook-id and body',
        response: { 202: WebhookDeliveryView, ...problems(400, 401, 403, 404, 409, 503, 504) },
      },
    },
    async (request, reply) => {
      const { token } = requireUser(deps, request);
      return reply.code(202).send(await deps.client.call('webhook.delivery.replay', request.params, callOptions(deps, request, token)));
    },
  );
};
