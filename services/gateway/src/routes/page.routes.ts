import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

const pageDir = new URL('../page/', import.meta.url);

/**
 * The invitee's accept page, the join page and the password reset page. Their tokens
 * live in the URL fragment (`/invite#token=…`, `/join#token=…`, `/reset-password#token=…`),
 * which browsers never send to a server, so they reach no log and no Referer. The pages are static; their scripts
 * (with what they share, page-common.js) read the fragment and talk to the JSON API.
 */
export const pageRoutes: FastifyPluginAsync = async (app) => {
  const [html, script, style, resetHtml, resetScript, joinHtml, joinScript, joinStyle, commonScript] = await Promise.all(
    ['invite.html', 'invite.js', 'invite.css', 'reset.html', 'reset.js', 'join.html', 'join.js', 'join.css', 'page-common.js'].map((name) =>
      readFile(new URL(name, pageDir), 'utf8'),
    ),
  );
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const headers = {
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
  };
  const serve = (body: string, type: string, policy = csp) => ({
    schema: { hide: true },
    handler: async (_request: unknown, reply: FastifyReply) => reply.headers({ ...headers, 'content-security-policy': policy, 'content-type': type }).send(body),
  });
  // The join page shows the organisation's logo, an https URL of its settings.
  const joinCsp = csp.replace("img-src 'self' data:", "img-src 'self' data: https:");
  app.get('/invite', serve(html!, 'text/html; charset=utf-8'));
  app.get('/invite/invite.js', serve(script!, 'text/javascript; charset=utf-8'));
  app.get('/invite/invite.css', serve(style!, 'text/css; charset=utf-8'));
  app.get('/join', serve(joinHtml!, 'text/html; charset=utf-8', joinCsp));
  app.get('/join/join.js', serve(joinScript!, 'text/javascript; charset=utf-8'));
  app.get('/join/join.css', serve(joinStyle!, 'text/css; charset=utf-8'));
  app.get('/reset-password', serve(resetHtml!, 'text/html; charset=utf-8'));
  app.get('/reset-password/reset.js', serve(resetScript!, 'text/javascript; charset=utf-8'));
  // What the three scripts import (ES modules).
  app.get('/page/page-common.js', serve(commonScript!, 'text/javascript; charset=utf-8'));
};
