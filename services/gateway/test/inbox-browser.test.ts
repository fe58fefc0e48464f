import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { InviteWithLink, NewInvite, TokenPair } from '@invite/contracts';
import { addMember, email, emailedProof, orgWithOwner, password, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { closePage, expectAccessible, shoot, startConsoleStack, type ConsoleStack } from './console-support.ts';

/**
 * The invitee's inbox and redirect after accept, in Debian's chromium against the real
 * services: the accept page lists the person's other invitations once they are signed
 * in and sends a new member on to the organisation's page (a local HTTP server here,
 * allowed with REDIRECTS_ALLOW_LOCALHOST); the console shows "Invitations for you".
 * Screenshots at 1280 and 390 pixels wide land in artifacts/screenshots/.
 */
let stack: ConsoleStack;
let landing: Server;
let landingOrigin: string;
const landed: string[] = [];

beforeAll(async () => {
  stack = await startConsoleStack('inboxbrowser', 50, { REDIRECTS_ALLOW_LOCALHOST: 'true' });
  landing = createServer((request, response) => {
    landed.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html lang="en"><title>Welcome aboard</title><h1>Welcome aboard</h1></html>');
  });
  await new Promise<void>((resolve) => landing.listen(0, '127.0.0.1', resolve));
  landingOrigin = `http://127.0.0.1:${(landing.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => landing?.close(resolve));
});

async function call<T>(org: OrgWithOwner, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${org.owner.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status, await response.clone().text()).toBeLessThan(300);
  return (response.status === 204 ? null : await response.json()) as T;
}

function invite(org: OrgWithOwner, to: string, fields: Partial<NewInvite> = {}): Promise<InviteWithLink> {
  return call<InviteWithLink>(org, 'POST', `/v1/orgs/${org.orgId}/invites`, { email: to, role: 'member', ...fields });
}

async function allowLanding(org: OrgWithOwner): Promise<void> {
  await call(org, 'PATCH', `/v1/orgs/${org.orgId}/settings`, { redirectOrigins: [landingOrigin] });
}

async function openInvite(url: string, width: number): Promise<Page> {
  const page = await stack.open(width);
  await page.goto(url);
  return page;
}

async function signInConsole(page: Page, who: string): Promise<void> {
  await page.getByLabel('Email').fill(who);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session').waitFor({ state: 'visible' });
}

describe('redirect after accept on the accept page', () => {
  it('shows "Continue to <host>" and takes the new member there after the countdown', async () => {
    const org = await orgWithOwner(stack.g.invites, 5, 'Rocket Labs');
    await allowLanding(org);
    const who = email('redirected');
    const created = await invite(org, who, { redirectUrl: `${landingOrigin}/welcome?team=rockets` });
    const page = await openInvite(`${created.acceptUrl}&proof=${emailedProof(tokenOf(created.acceptUrl))}`, 1280);
    const form = page.locator('#signup');
    await form.getByLabel('Your name').fill('Rita Redirect');
    await form.getByLabel('Username').fill(`rita${Date.now()}`);
    await form.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Accept and create account' }).click();
    const link = page.locator('#redirect-link');
    await expect.poll(() => link.textContent()).toBe(`Continue to ${new URL(landingOrigin).host}`);
    expect(await link.getAttribute('href')).toBe(`${landingOrigin}/welcome?team=rockets`);
    expect(await page.locator('#redirect-countdown').textContent()).toMatch(/^Taking you there in \d s\.$/);
    await shoot(page, 'redirect-countdown-1280');
    await expectAccessible(page, 'the success view with its redirect');
    await page.waitForURL(`${landingOrigin}/welcome?team=rockets`);
    expect(await page.locator('h1').textContent()).toBe('Welcome aboard');
    expect(landed).toContain('/welcome?team=rockets');
    await page.context().close();
  });

  it('stops when the person chooses to stay, and never follows a URL from its own address', async () => {
    const org = await orgWithOwner(stack.g.invites, 5, 'Stay Corp');
    await allowLanding(org);
    const created = await invite(org, email('stayer'), { redirectUrl: `${landingOrigin}/stay-target` });
    const page = await openInvite(`${created.acceptUrl}&proof=${emailedProof(tokenOf(created.acceptUrl))}`, 390);
    const form = page.locator('#signup');
    await form.getByLabel('Your name').fill('Sam Stay');
    await form.getByLabel('Username').fill(`sam${Date.now()}`);
    await form.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Accept and create account' }).click();
    await page.getByRole('button', { name: 'Stay on this page' }).click();
    expect(await page.locator('#redirect-countdown').textContent()).toBe('You are staying here. Use the link whenever you are ready.');
    expect(await page.locator('#redirect-link').isVisible()).toBe(true);
    await shoot(page, 'redirect-stay-390');
    expect(new URL(page.url()).pathname).toBe('/invite');
    await page.context().close();

    // An invite without a redirect: a redirect named in the link's fragment is ignored.
    const plain = await invite(org, email('plain'));
    const tampered = await openInvite(`${plain.acceptUrl}&proof=${emailedProof(tokenOf(plain.acceptUrl))}&redirectUrl=${encodeURIComponent(`${landingOrigin}/open-redirect`)}`, 1280);
    const signup = tampered.locator('#signup');
    await signup.getByLabel('Your name').fill('Pat Plain');
    await signup.getByLabel('Username').fill(`pat${Date.now()}`);
    await signup.getByLabel('Password').fill(password);
    await tampered.getByRole('button', { name: 'Accept and create account' }).click();
    await expect.poll(() => tampered.locator('#done-message').textContent()).toContain('You are now a member of Stay Corp');
    expect(await tampered.locator('#redirect').isVisible()).toBe(false);
    expect(landed).not.toContain('/open-redirect');
    await closePage(tampered);
  });
});

describe('other invitations on the accept page', () => {
  /** Someone with an account (the owner of an org of their own) invited by three organisations. */
  async function invitedThrice(label: string) {
    const person = await orgWithOwner(stack.g.invites, 5, `${label} Home`);
    const [a, b, c] = await Promise.all(['Alpha', 'Beta', 'Gamma'].map((name) => orgWithOwner(stack.g.invites, 5, `${name} ${label}`)));
    const onPage = await invite(a!, person.ownerEmail);
    const second = await invite(b!, person.ownerEmail, { message: 'We would love to have you' });
    const third = await invite(c!, person.ownerEmail);
    return { person, orgs: [a!, b!, c!], onPage, second, third };
  }

  it('after signing in and accepting, lists the rest and answers them without their links', async () => {
    const { person, onPage, second, third } = await invitedThrice('Page');
    const page = await openInvite(onPage.acceptUrl, 1280);
    await page.locator('#signin').getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in and accept' }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('Welcome back');
    const others = page.locator('#others-list > li');
    await expect.poll(() => others.count()).toBe(2);
    expect(await page.locator('#others-title').textContent()).toBe('Other invitations for you');
    expect(await others.locator('h3').allTextContents()).toEqual(['Gamma Page', 'Beta Page']);
    await shoot(page, 'inbox-accept-page-1280');
    await expectAccessible(page, 'the accept page with other invitations');

    const beta = page.locator(`#others-list > li[data-invite-id="${second.invite.id}"]`);
    await beta.getByRole('button', { name: 'Accept the invitation to Beta Page' }).click();
    await expect.poll(() => beta.locator('.outcome').textContent()).toBe('You joined Beta Page as a member.');
    const gamma = page.locator(`#others-list > li[data-invite-id="${third.invite.id}"]`);
    await gamma.getByRole('button', { name: 'Decline the invitation to Gamma Page' }).click();
    await gamma.getByRole('button', { name: 'Yes, decline' }).click();
    await expect.poll(() => gamma.locator('.outcome').textContent()).toBe('You declined the invitation to Gamma Page.');
    await closePage(page);

    const me = await stack.g.invites.client.call('auth.me', {}, { accessToken: person.owner.accessToken });
    expect(me.memberships.map((m) => m.orgName).sort()).toEqual(['Alpha Page', 'Beta Page', 'Page Home']);
    const [row] = await stack.g.invites.sql<{ status: string }>(`select status from invites where id = ?`, [third.invite.id]);
    expect(row!.status).toBe('declined');
  });

  it('already signed in to the console in this tab: offers to accept at once, with the rest beside it', async () => {
    const { person, onPage } = await invitedThrice('Tab');
    const page = await stack.open(390);
    await signInConsole(page, person.ownerEmail);
    await page.goto(onPage.acceptUrl);
    await expect.poll(() => page.locator('#signedin').isVisible()).toBe(true);
    expect(await page.locator('#signedin-email').textContent()).toBe(person.ownerEmail);
    await expect.poll(() => page.locator('#others-list > li').count()).toBe(2);
    await shoot(page, 'inbox-accept-page-390');
    await page.getByRole('button', { name: 'Accept', exact: true }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('You are now a member of Alpha Tab');
    await expect.poll(() => page.locator('#others-list > li').count()).toBe(2);
    await closePage(page);
  });
});

describe('"Invitations for you" in the console', () => {
  it('someone in no organisation lands on their invitations, accepts one (with its redirect) and declines one in the page', async () => {
    const leftEmail = email('drifter');
    const home = await orgWithOwner(stack.g.invites, 5, 'Old Home');
    const session: TokenPair = await addMember(stack.g.invites, home, 'member', home.owner, leftEmail);
    await call(home, 'DELETE', `/v1/orgs/${home.orgId}/members/${session.user.id}`);
    const welcoming = await orgWithOwner(stack.g.invites, 5, 'Welcoming Co');
    await allowLanding(welcoming);
    const joining = await invite(welcoming, leftEmail, { role: 'admin', redirectUrl: `${landingOrigin}/console-welcome`, message: 'Come and run the launch' });
    const other = await orgWithOwner(stack.g.invites, 5, 'Pushy Inc');
    const declining = await invite(other, leftEmail);

    const page = await stack.open(1280);
    await signInConsole(page, leftEmail);
    await expect.poll(() => page.locator('#my-invitations > li').count()).toBe(2);
    expect(await page.locator('main h1').textContent()).toBe('Your organisations');
    await expect.poll(() => page.locator('#member-notice').textContent()).toBe('You do not belong to any organisation yet: answer your invitations below.');
    await shoot(page, 'inbox-console-1280');
    await expectAccessible(page, 'invitations for someone in no organisation');

    const card = page.locator(`#my-invitations > li[data-invite-id="${joining.invite.id}"]`);
    expect(await card.locator('.invite-message').textContent()).toBe('Come and run the launch');
    await card.getByRole('button', { name: 'Accept the invitation to Welcoming Co' }).click();
    await expect.poll(() => card.locator('.outcome').textContent()).toContain('You joined Welcoming Co as an admin.');
    expect(await card.getByRole('link', { name: `Continue to ${new URL(landingOrigin).host}` }).getAttribute('href')).toBe(`${landingOrigin}/console-welcome`);
    await expect.poll(() => page.locator('#my-orgs li').count()).toBe(1);
    expect(await page.locator('#open-console').isVisible()).toBe(true);

    const pushy = page.locator(`#my-invitations > li[data-invite-id="${declining.invite.id}"]`);
    await pushy.getByRole('button', { name: 'Decline the invitation to Pushy Inc' }).click();
    const dialog = page.locator('dialog#confirm');
    await expect.poll(() => dialog.getAttribute('open')).toBe('');
    expect(await dialog.locator('h2').textContent()).toBe('Decline the invitation to Pushy Inc?');
    await shoot(page, 'inbox-console-decline-1280');
    await dialog.getByRole('button', { name: 'Decline', exact: true }).click();
    await expect.poll(() => pushy.locator('.outcome').textContent()).toBe('You declined the invitation to Pushy Inc.');
    const [row] = await stack.g.invites.sql<{ status: string }>(`select status from invites where id = ?`, [declining.invite.id]);
    expect(row!.status).toBe('declined');

    // Now an admin of the organisation it joined: the console opens on it.
    await page.locator('#open-console').click();
    await expect.poll(() => page.locator('#org-select option').allTextContents()).toEqual(['Welcoming Co (admin)']);
    await closePage(page);
  });

  it('an admin with invitations is taken to them after sign-in, and the navigation counts them', async () => {
    const inviter = await orgWithOwner(stack.g.invites, 5, 'Partner Org');
    await invite(inviter, stack.org.ownerEmail);
    const page = await stack.open(390);
    await signInConsole(page, stack.org.ownerEmail);
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Your organisations');
    await expect.poll(() => page.locator('#my-invitations > li').count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: /Your organisations/ }).textContent()).toBe('Your organisations (1 invitation)');
    await shoot(page, 'inbox-console-390');
    await closePage(page);
  });
});

describe('redirect origins in the console settings', () => {
  it('saves the origins and refuses one with a path next to the field', async () => {
    const page = await stack.signIn(1280);
    await page.goto(`${stack.base}/console#/settings`);
    const field = page.getByLabel('Allowed origins, one per line');
    await field.waitFor({ state: 'visible' });
    await field.fill('https://app.example.com/welcome');
    await page.getByRole('button', { name: 'Save origins' }).click();
    await expect.poll(() => page.locator('#settings-redirect-origins-error').textContent()).toContain('is not an origin');
    await field.fill(`https://app.example.com\n${landingOrigin}`);
    await page.getByRole('button', { name: 'Save origins' }).click();
    await expect.poll(() => page.locator('#settings-redirect-status').textContent()).toBe('Saved. Invites may now lead to these origins.');
    await page.locator('#redirect-origins').scrollIntoViewIfNeeded();
    await shoot(page, 'redirect-settings-1280');
    const settings = await stack.api<{ redirectOrigins: string[] }>('GET', `/v1/orgs/${stack.org.orgId}/settings`);
    expect(settings.body.redirectOrigins).toEqual(['https://app.example.com', landingOrigin]);
    await closePage(page);
  });
});
