import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsView, InviteIssuedEvent, InviteWithLink, OrgSettings, RenderedEmail, TokenPair } from '@invite/contracts';
import { createTemplateRenderer } from '@invite/templates';
import { addMember, email, orgWithOwner, type OrgWithOwner } from '../../invites/test/harness.ts';
import { previewView } from '../src/preview/email-preview.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json, type App } from './support.ts';

/**
 * Analytics and settings over HTTP: the routes, their errors, and the preview, which must
 * be the email the notifier renders from a real invite event of the same settings.
 */
const base = 'https://console.example.test';
let g: TestGateway;
let app: App;
let a: OrgWithOwner;
let b: OrgWithOwner;
let memberA: TokenPair;

beforeAll(async () => {
  g = await startTestGateway('gwsettings', { APP_BASE_URL: base }, { APP_BASE_URL: base });
  app = g.app;
  a = await orgWithOwner(g.invites, 100, 'Acme & <Sons>');
  b = await orgWithOwner(g.invites, 100, 'Beta');
  memberA = await addMember(g.invites, a, 'member');
});
afterAll(() => g?.close());

const get = (url: string, token: string) => app.inject({ method: 'GET', url, headers: bearer(token) });
const send = (method: 'PATCH' | 'POST', url: string, token: string, payload: unknown) =>
  app.inject({ method, url, headers: bearer(token), payload: payload as Record<string, unknown> });

describe('GET /v1/orgs/:orgId/analytics', () => {
  it('answers the funnel of the period, the same as the invites service', async () => {
    const day = new Date().toISOString().slice(0, 10);
    for (let i = 0; i < 3; i++) {
      const res = await send('POST', `/v1/orgs/${a.orgId}/invites`, a.owner.accessToken, { email: email('an'), role: 'member' });
      expect(res.statusCode, res.body).toBe(201);
    }
    const res = await get(`/v1/orgs/${a.orgId}/analytics?from=${day}&to=${day}`, a.owner.accessToken);
    expect(res.statusCode, res.body).toBe(200);
    const view = json<AnalyticsView>(res);
    expect(view).toEqual(await g.invites.client.call('org.analytics', { orgId: a.orgId, from: day, to: day }, { accessToken: a.owner.accessToken }));
    // The owner's accepted bootstrap invite, the member's accepted invite and the three pending ones.
    expect(view.totals).toMatchObject({ created: 5, accepted: 2, pending: 3 });
    expect(view.daily).toEqual([{ day, funnel: view.totals }]);
  });

  it('refuses bad periods with 400, no token with 401, a member with 403 and another org with 404', async () => {
    const url = (q: string) => `/v1/orgs/${a.orgId}/analytics?${q}`;
    for (const q of ['from=2026-02-01&to=2026-01-31', 'from=2025-01-01&to=2026-01-02', 'from=2026-01-01', 'from=2026-1-1&to=2026-01-02', 'from=2026-02-30&to=2026-03-01', 'from=2026-01-01&to=2026-01-02&extra=1']) {
      expectProblem(await get(url(q), a.owner.accessToken), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await app.inject({ method: 'GET', url: url('from=2026-01-01&to=2026-01-02') }), 401, 'UNAUTHENTICATED');
    expectProblem(await get(url('from=2026-01-01&to=2026-01-02'), memberA.accessToken), 403, 'FORBIDDEN');
    expectProblem(await get(url('from=2026-01-01&to=2026-01-02'), b.owner.accessToken), 404, 'NOT_FOUND');
  });
});

describe('/v1/orgs/:orgId/settings', () => {
  const custom = {
    emailSubject: '{{inviterName}} wants you at {{orgName}}',
    emailBody: 'Hello {{email}},\n\nJoin us as {{role}} before {{expiresAt}}.\n\n{{message}}\n\nLink: {{link}}',
    logoUrl: 'https://cdn.example.test/acme.png',
    accentColor: '#0a7f3f',
    defaultLocale: 'es',
  };

  it('reads the defaults, changes some fields, and refuses bad values with 400 changing nothing', async () => {
    const url = `/v1/orgs/${a.orgId}/settings`;
    const first = await get(url, a.owner.accessToken);
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({ emailSubject: null, emailBody: null, templates: {}, logoUrl: null, accentColor: null, defaultLocale: 'en' });

    // emailSubject and emailBody, as clients before templates per language send them: the default language's template.
    const patched = await send('PATCH', url, a.owner.accessToken, custom);
    expect(patched.statusCode, patched.body).toBe(200);
    const saved = { ...custom, templates: { es: { subject: custom.emailSubject, body: custom.emailBody } } };
    expect(json(patched)).toMatchObject(saved);

    const audit = () => g.invites.sql(`select count(*)::int as n from audit_log where org_id = ? and action = 'org.settings.updated'`, [a.orgId]);
    const auditBefore = await audit();
    expect(auditBefore).toEqual([{ n: 1 }]);
    const cases: [Record<string, unknown>, string][] = [
      [{ accentColor: 'green' }, '/accentColor'],
      [{ logoUrl: 'http://cdn.example.test/acme.png' }, '/logoUrl'],
      [{ emailBody: 'x'.repeat(5001) }, '/emailBody'],
      [{ emailSubject: 'x'.repeat(201) }, '/emailSubject'],
      [{ emailSubject: 'Hi {{name}}' }, '/settings/emailSubject'],
      [{ templates: { fr: { subject: null, body: 'Bonjour {{nom}}' } } }, '/settings/templates/fr/body'],
      [{ templates: { fr: { subject: 'x'.repeat(201), body: null } } }, '/templates/fr/subject'],
      [{ templates: { it: { subject: 'Ciao', body: null } } }, '/templates/it'],
      [{ replyTo: 'x@example.test' }, '/replyTo'],
    ];
    for (const [body, path] of cases) {
      const problem = expectProblem(await send('PATCH', url, a.owner.accessToken, body), 400, 'VALIDATION_FAILED');
      expect(problem.errors!.map((e) => e.path), JSON.stringify(body)).toContain(path);
    }
    expect(json(await get(url, a.owner.accessToken))).toMatchObject(saved);
    expect(await audit()).toEqual(auditBefore);
    const french = expectProblem(await send('PATCH', url, a.owner.accessToken, { templates: { fr: { subject: null, body: 'Bonjour {{nom}}' } } }), 400, 'VALIDATION_FAILED');
    expect(french.detail).toBe('The French template is not valid: its body uses unknown placeholders: {{nom}}');

    expectProblem(await send('PATCH', url, memberA.accessToken, { accentColor: '#000000' }), 403, 'FORBIDDEN');
    expectProblem(await get(url, b.owner.accessToken), 404, 'NOT_FOUND');
    expectProblem(await app.inject({ method: 'GET', url }), 401, 'UNAUTHENTICATED');
  });

  it('previews exactly the email the notifier renders from an invite event of the same settings', async () => {
    const created = await send('POST', `/v1/orgs/${a.orgId}/invites`, a.owner.accessToken, { email: email('preview'), role: 'member' });
    const { invite } = json<InviteWithLink>(created);
    expect(invite.locale).toBe('es'); // the org's default locale
    const [row] = await g.invites.sql<{ payload: InviteIssuedEvent }>(`select payload from outbox where payload->>'inviteId' = ? and payload->>'type' = 'invite.created'`, [invite.id]);
    const event = row!.payload;
    expect(event.template).toEqual({ subject: custom.emailSubject, body: custom.emailBody, logoUrl: custom.logoUrl, accentColor: custom.accentColor });

    const before = new Date();
    const res = await send('POST', `/v1/orgs/${a.orgId}/settings/preview`, a.owner.accessToken, {});
    const after = new Date();
    expect(res.statusCode, res.body).toBe(200);
    const preview = json<RenderedEmail>(res);

    // The notifier renders `{ ...event, link }`; the preview's sample invitee, message, expiry and fake link stand in for the event's.
    const renderer = createTemplateRenderer();
    const expected = await Promise.all(
      [before, after].map(async (now) => {
        const sample = previewView({ orgId: a.orgId, orgName: '', inviterName: '', settings: json<OrgSettings>(await get(`/v1/orgs/${a.orgId}/settings`, a.owner.accessToken)), locale: 'es', appBaseUrl: base, now });
        const rendered = await renderer.render({ ...event, email: sample.email!, message: sample.message, expiresAt: sample.expiresAt, link: sample.link });
        return { subject: rendered.subject, html: rendered.html, text: rendered.text };
      }),
    );
    expect(expected).toContainEqual(preview);
    expect(preview.subject).toBe('Olivia Owner wants you at Acme & <Sons>');
    expect(preview.html).toContain('Acme &amp; &lt;Sons&gt;');
    expect(preview.html).toContain(`${base}/invite#token=PREVIEW-not-a-real-invite-link`);
    expect(preview.html).toContain('background:#0a7f3f');
    expect(preview.html).toContain('<html lang="es">');
  });

  it('previews unsaved settings over the saved ones without saving them', async () => {
    const url = `/v1/orgs/${a.orgId}/settings`;
    const de = { subject: 'Entwurf für {{orgName}}', body: 'Hallo {{email}},\n\nwillkommen.' };
    const res = await send('POST', `${url}/preview`, a.owner.accessToken, { settings: { templates: { de }, accentColor: null }, locale: 'de' });
    expect(res.statusCode, res.body).toBe(200);
    const preview = json<RenderedEmail>(res);
    expect(preview.subject).toBe('Entwurf für Acme & <Sons>');
    expect(preview.html).toContain('background:#2456d6');
    expect(preview.html).toContain('Einladung annehmen');
    expect(preview.text.startsWith('Hallo new.colleague@example.com,')).toBe(true);
    expect(json(await get(url, a.owner.accessToken))).toMatchObject({ ...custom, templates: { es: { subject: custom.emailSubject, body: custom.emailBody } } });
    expectProblem(await send('POST', `${url}/preview`, a.owner.accessToken, { settings: { accentColor: 'blue' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await send('POST', `${url}/preview`, memberA.accessToken, {}), 403, 'FORBIDDEN');
  });

  it('previews the language asked for with its own template, and a language without one with its built-in email', async () => {
    const url = `/v1/orgs/${a.orgId}/settings/preview`;
    const fr = { subject: 'Rejoignez {{orgName}}', body: 'Bonjour {{email}},\n\nà bientôt.' };
    const preview = async (body: unknown) => {
      const res = await send('POST', url, a.owner.accessToken, body);
      expect(res.statusCode, res.body).toBe(200);
      return json<RenderedEmail>(res);
    };
    const french = await preview({ settings: { templates: { fr } }, locale: 'fr' });
    expect(french.subject).toBe('Rejoignez Acme & <Sons>');
    expect(french.html).toContain('<html lang="fr">');
    expect(french.html).toContain('Accepter l’invitation');
    // French has no saved template: the built-in French email, not the Spanish (default) template.
    const builtIn = await preview({ locale: 'fr' });
    expect(builtIn.subject).toBe('Olivia Owner vous invite à rejoindre Acme & <Sons>');
    expect(builtIn.text).not.toContain('Join us as');
    expect((await preview({ settings: { templates: { es: { subject: null, body: null } } } })).subject).toBe('Olivia Owner te invitó a unirte a Acme & <Sons>');
  });
});
