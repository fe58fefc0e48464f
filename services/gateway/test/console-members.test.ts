import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { InviteWithLink, MemberPage, TokenPair, UsageView } from '@invite/contracts';
import { addMember, email, password } from '../../invites/test/harness.ts';
import { closePage, expectAccessible, go, shoot, startConsoleStack, type ConsoleStack } from './console-support.ts';

/**
 * Managing people in the console, in Debian's chromium against the real services: the
 * seat limit, changing a role and removing someone behind the page's own confirmation
 * dialog, an invite's details (delivery per channel, its timeline), handing over
 * ownership, and what a member who administers nothing sees. Screenshots at 1280 and
 * 390 pixels wide land in artifacts/screenshots/.
 */
let stack: ConsoleStack;
let admin: TokenPair;
let member: TokenPair;
let leaver: TokenPair;

beforeAll(async () => {
  stack = await startConsoleStack('consolemembers', 10);
  admin = await addMember(stack.g.invites, stack.org, 'admin');
  member = await addMember(stack.g.invites, stack.org, 'member');
  leaver = await addMember(stack.g.invites, stack.org, 'member');
});

afterAll(async () => {
  await stack?.close();
});

const row = (page: Page, who: TokenPair) => page.locator(`#members-table tr[data-user-id="${who.user.id}"]`);

/** The page's confirmation dialog (a modal <dialog>, not the browser's confirm()). */
async function confirmInPage(page: Page, title: string, button: string, shot?: string): Promise<void> {
  const dialog = page.locator('dialog#confirm');
  await expect.poll(() => dialog.getAttribute('open')).toBe('');
  expect(await dialog.locator('h2').textContent()).toBe(title);
  if (shot) await shoot(page, shot);
  await dialog.getByRole('button', { name: button, exact: true }).click();
}

async function signInAs(width: number, who: TokenPair): Promise<Page> {
  const page = await stack.open(width);
  await page.getByLabel('Email').fill(who.user.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session').waitFor({ state: 'visible' });
  return page;
}

describe('managing people in the console', () => {
  it('changes the seat limit, refusing one below the seats in use with the numbers', async () => {
    const page = await stack.signIn();
    await go(page, 'Members', 'Members');
    await expect.poll(() => page.locator('#members-table tbody tr').count()).toBe(4);
    await expect.poll(() => page.locator('#usage').textContent()).toContain('Seats10');

    await page.getByLabel('Number of seats').fill('3');
    await page.getByRole('button', { name: 'Change seat limit' }).click();
    await expect.poll(() => page.locator('#seat-limit-error').textContent()).toBe(
      'Acme Rockets has 4 seats in use (4 members and 0 pending invites), so its seat limit cannot go below 4; asked for 3. Withdraw invites or remove members first.',
    );
    expect(await page.getByLabel('Number of seats').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Number of seats').fill('12');
    await page.getByRole('button', { name: 'Change seat limit' }).click();
    await expect.poll(() => page.locator('#seat-status').textContent()).toBe('Acme Rockets now has 12 seats.');
    expect(await page.locator('#usage').textContent()).toContain('Seats12');
    expect((await stack.api<UsageView>('GET', `/v1/orgs/${stack.org.orgId}/usage`)).body.seatLimit).toBe(12);
    await expectAccessible(page, 'members with the seat form');
    await shoot(page, 'console-manage-members-desktop');
    await closePage(page);
  });

  it('changes a role and removes a member, each after the page asks', async () => {
    const page = await stack.signIn();
    await go(page, 'Members', 'Members');
    await row(page, member).waitFor();

    // Cancel leaves everything as it was.
    await row(page, member).getByRole('button', { name: 'Change role of' }).click();
    await page.getByLabel(`New role for ${member.user.name} (${member.user.email})`).selectOption('admin');
    await page.getByRole('button', { name: 'Save' }).click();
    await confirmInPage(page, `Make ${member.user.name} an admin?`, 'Cancel', 'console-role-confirm-desktop');
    await page.getByRole('button', { name: 'Save' }).click();
    await confirmInPage(page, `Make ${member.user.name} an admin?`, 'Make admin');
    await expect.poll(() => row(page, member).locator('.role-cell').textContent()).toBe('Admin');
    expect(await page.locator('#member-action-status').textContent()).toBe(`${member.user.name} is now an admin.`);

    await page.getByRole('button', { name: `Remove ${leaver.user.name} (${leaver.user.email})` }).click();
    await confirmInPage(page, `Remove ${leaver.user.name}?`, 'Remove', 'console-remove-confirm-desktop');
    await expect.poll(() => row(page, leaver).count()).toBe(0);
    expect(await page.locator('#member-action-status').textContent()).toBe(`${leaver.user.name} was removed from Acme Rockets.`);
    await expect.poll(() => page.locator('#usage').textContent()).toContain('Members3');

    const members = await stack.api<MemberPage>('GET', `/v1/orgs/${stack.org.orgId}/members`);
    expect(members.body.items.map((m) => [m.user.id, m.role])).toEqual(
      expect.arrayContaining([
        [member.user.id, 'admin'],
        [admin.user.id, 'admin'],
      ]),
    );
    expect(members.body.items.map((m) => m.user.id)).not.toContain(leaver.user.id);
    // The removed member's session no longer reaches the organisation.
    const refused = await fetch(`${stack.base}/v1/orgs/${stack.org.orgId}/invites`, { headers: { authorization: `Bearer ${leaver.accessToken}` } });
    expect(refused.status).toBe(404);
    await closePage(page);

    // An admin sees no way to touch the owner, and cannot grant owner.
    const asAdmin = await signInAs(1280, admin);
    await go(asAdmin, 'Members', 'Members');
    await row(asAdmin, member).waitFor();
    expect(await row(asAdmin, stack.org.owner).getByRole('button').count()).toBe(0);
    expect(await asAdmin.locator('#seat-limit').count()).toBe(0);
    await row(asAdmin, member).getByRole('button', { name: 'Change role of' }).click();
    const options = await asAdmin.getByLabel(`New role for ${member.user.name} (${member.user.email})`).locator('option').allTextContents();
    expect(options).toEqual(['Admin', 'Member']);
    await closePage(asAdmin);

    const phone = await stack.signIn(390);
    await go(phone, 'Members', 'Members');
    await row(phone, member).waitFor();
    await row(phone, member).getByRole('button', { name: 'Change role of' }).click();
    await expectAccessible(phone, 'members on a phone, editing a role');
    await shoot(phone, 'console-manage-members-phone');
    await closePage(phone);
  });

  it("shows an invite's delivery and timeline when its address is clicked, at both widths", async () => {
    const who = email('detail');
    const created = await stack.api<InviteWithLink>('POST', `/v1/orgs/${stack.org.orgId}/invites`, { email: who, role: 'member' });
    expect(created.status).toBe(201);
    const resent = await stack.api<InviteWithLink>('POST', `/v1/orgs/${stack.org.orgId}/invites/${created.body.invite.id}/resend`);
    expect(resent.status).toBe(200);

    for (const width of [1280, 390]) {
      const page = await stack.signIn(width);
      await go(page, 'Invites', 'Invites');
      await page.getByRole('button', { name: who, exact: true }).click();
      const panel = page.locator('#invite-detail');
      await expect.poll(() => panel.locator('h2').textContent()).toBe(`Invite to ${who}`);
      // The notifier sends through the real SMTP server; the panel follows live.
      await expect.poll(() => panel.locator('[data-channel="email"] .badge').textContent(), { timeout: 15_000 }).toBe('Sent');
      const lines = await panel.locator('.timeline li span').allTextContents();
      expect(lines).toEqual([
        'Created by you as member, to be sent by email',
        'Sent again by you with a new link; the old link stopped working',
        'Delivered by email',
      ]);
      expect(await panel.locator('[data-channel="email"]').textContent()).toContain('1 attempt for the current link');
      expect(await page.evaluate('document.activeElement?.id')).toBe(`detail-${created.body.invite.id}`);
      await expectAccessible(page, `invite detail at ${width}`);
      await shoot(page, `console-invite-detail-${width === 390 ? 'phone' : 'desktop'}`);
      await panel.getByRole('button', { name: 'Close' }).click();
      expect(await panel.count()).toBe(0);
      expect(await page.evaluate('document.activeElement?.textContent')).toBe(who);
      await closePage(page);
    }
  });

  it('gives a member who administers nothing their organisations, their role and a way to leave', async () => {
    const loner = await addMember(stack.g.invites, stack.org, 'member');
    for (const width of [1280, 390]) {
      const page = await signInAs(width, width === 1280 ? member : loner);
      if (width === 1280) {
        // Now an admin: the whole console, and "Your organisations" in the navigation.
        await go(page, 'Your organisations', 'Your organisations');
        expect(await page.locator('#my-orgs .card .meta').textContent()).toMatch(/^Admin · since /);
        await closePage(page);
        continue;
      }
      await expect.poll(() => page.locator('main h1').textContent()).toBe('Your organisations');
      expect(await page.locator('#nav').isVisible()).toBe(false);
      expect(await page.locator('#org-select').isVisible()).toBe(false);
      expect(await page.locator('#member-notice').textContent()).toContain('You are a member here, not an admin');
      expect(await page.locator('#my-orgs .card h2').textContent()).toBe('Acme Rockets');
      expect(await page.locator('#my-orgs .card .meta').textContent()).toMatch(/^Member · since /);
      await expectAccessible(page, 'a member signed in');
      await shoot(page, 'console-member-home-phone');

      await page.getByRole('button', { name: 'Leave Acme Rockets' }).click();
      await confirmInPage(page, 'Leave Acme Rockets?', 'Leave', 'console-leave-confirm-phone');
      await expect.poll(() => page.locator('#member-notice').textContent()).toBe('You do not belong to any organisation. To join one, open the invite link you were sent.');
      await shoot(page, 'console-member-left-phone');
      await closePage(page);
    }
    const members = await stack.api<MemberPage>('GET', `/v1/orgs/${stack.org.orgId}/members`);
    expect(members.body.items.map((m) => m.user.id)).not.toContain(loner.user.id);
  });

  it('hands over ownership: the new owner gets the seat form, the old one becomes an admin without it', async () => {
    const page = await stack.signIn();
    await go(page, 'Members', 'Members');
    await row(page, admin).waitFor();
    await page.getByLabel('New owner').selectOption(admin.user.id);
    await page.getByRole('button', { name: 'Transfer ownership' }).click();
    await confirmInPage(page, `Make ${admin.user.name} the owner?`, 'Transfer ownership', 'console-transfer-confirm-desktop');
    // The console reads the account again: an admin now, on the same page.
    await expect.poll(() => page.locator('#org-select option:checked').textContent()).toBe('Acme Rockets (admin)');
    await expect.poll(() => row(page, admin).locator('.role-cell').textContent()).toBe('Owner');
    expect(await page.locator('#seat-limit').count()).toBe(0);
    expect(await row(page, stack.org.owner).locator('.role-cell').textContent()).toBe('Admin');
    await closePage(page);

    const owner = await signInAs(1280, admin);
    await go(owner, 'Members', 'Members');
    await owner.locator('#seat-limit').waitFor();
    await shoot(owner, 'console-new-owner-desktop');
    await closePage(owner);
  });
});
