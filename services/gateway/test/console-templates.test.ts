import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, OrgSettings } from '@invite/contracts';
import type { Page } from 'playwright-core';
import { closePage, expectAccessible, go, shoot, startConsoleStack, type ConsoleStack } from './console-support.ts';

/**
 * The console's email settings with a template per language: picking a language, writing
 * its own text, going back to the built-in email, the preview in the chosen language, at
 * desktop and phone widths. Real stack: gateway, invites, notifier, chromium.
 */
let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack('consoletpl', 20);
});

afterAll(async () => {
  await stack?.close();
});

const orgUrl = (rest: string) => `/v1/orgs/${stack.org.orgId}${rest}`;
const badge = (page: Page, code: string) => page.locator(`label[for="template-language-${code}"] .badge`).textContent();
const previewSubject = (page: Page) => page.locator('#preview-subject').textContent();
const settingsAudit = async () => (await stack.api<AuditPage>('GET', orgUrl('/audit?action=org.settings.updated&limit=5'))).body.items.map((e) => e.summary);

/** No element wider than the viewport: nothing to scroll sideways on a phone. */
const overflow = async (page: Page) => Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));

describe('email templates per language in the console', () => {
  it('writes an English and a French template, previews each language, and goes back to the built-in French email', async () => {
    const page = await stack.signIn();
    await go(page, 'Settings', 'Settings');
    await expect.poll(() => page.locator('#preview-status').textContent(), { timeout: 10_000 }).toBe('Preview up to date.');
    // The default language's template is on screen; no language has its own text yet.
    expect(await page.getByRole('radio', { name: /English/ }).isChecked()).toBe(true);
    for (const code of ['en', 'es', 'de', 'fr']) expect(await badge(page, code)).toBe('Built-in');
    expect(await page.getByRole('button', { name: 'Use the built-in template' }).isDisabled()).toBe(true);

    await page.getByLabel('Subject').fill('Welcome aboard {{orgName}}');
    await expect.poll(() => previewSubject(page), { timeout: 10_000 }).toBe('Welcome aboard Acme Rockets');
    expect(await badge(page, 'en')).toBe('Own text');

    // French: its fields are its own, and until it has text the preview is the built-in French email.
    await page.getByRole('radio', { name: /Français/ }).check();
    expect(await page.getByLabel('Subject').inputValue()).toBe('');
    await expect.poll(() => previewSubject(page), { timeout: 10_000 }).toBe('Olivia Owner vous invite à rejoindre Acme Rockets');
    expect(await page.locator('#preview-language').textContent()).toBe('Français');
    await page.getByLabel('Subject').fill('Rejoignez {{orgName}}');
    await page.getByLabel('Text', { exact: true }).fill('Bonjour {{email}},\n\nbienvenue chez {{nom}}.');
    await expect.poll(() => page.locator('#settings-body-error').textContent()).toBe('Unknown placeholder: {{nom}}.');
    // On another language's screen, the French problem is named at the language picker.
    await page.getByRole('radio', { name: /English/ }).check();
    expect(await page.getByLabel('Subject').inputValue()).toBe('Welcome aboard {{orgName}}');
    await expect.poll(() => page.locator('#template-languages-error').textContent()).toBe('Français text: Unknown placeholder: {{nom}}.');
    await page.getByRole('radio', { name: /Français/ }).check();
    await page.getByLabel('Text', { exact: true }).fill('Bonjour {{email}},\n\nbienvenue chez {{orgName}}.');
    await expect.poll(() => previewSubject(page), { timeout: 10_000 }).toBe('Rejoignez Acme Rockets');
    await expect.poll(async () => (await page.locator('#preview-frame').getAttribute('srcdoc')) ?? '', { timeout: 10_000 }).toContain('<html lang="fr">');
    expect(await page.locator('#template-languages-error').count()).toBe(0);
    expect(await badge(page, 'fr')).toBe('Own text');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toBe('Saved. New invites use these settings.');
    const saved = (await stack.api<OrgSettings>('GET', orgUrl('/settings'))).body;
    expect(saved.templates).toEqual({
      en: { subject: 'Welcome aboard {{orgName}}', body: null },
      fr: { subject: 'Rejoignez {{orgName}}', body: 'Bonjour {{email}},\n\nbienvenue chez {{orgName}}.' },
    });
    expect(saved.emailSubject).toBe('Welcome aboard {{orgName}}');
    expect((await settingsAudit())[0]).toBe('Olivia Owner changed the English and French email templates');
    // Still on French after saving.
    expect(await page.getByRole('radio', { name: /Français/ }).isChecked()).toBe(true);
    await expectAccessible(page, 'settings with templates per language');
    await expect.poll(() => page.frameLocator('#preview-frame').locator('body').textContent(), { timeout: 10_000 }).toContain('Bonjour new.colleague@example.com,');
    await page.locator('#preview-frame').scrollIntoViewIfNeeded();
    await shoot(page, 'settings-templates-1280');
    expect(await overflow(page)).toBeLessThanOrEqual(0);

    await page.getByRole('button', { name: 'Use the built-in template' }).click();
    expect(await page.getByLabel('Subject').inputValue()).toBe('');
    expect(await badge(page, 'fr')).toBe('Built-in');
    await expect.poll(() => previewSubject(page), { timeout: 10_000 }).toBe('Olivia Owner vous invite à rejoindre Acme Rockets');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toBe('Saved. New invites use these settings.');
    expect((await stack.api<OrgSettings>('GET', orgUrl('/settings'))).body.templates).toEqual({ en: { subject: 'Welcome aboard {{orgName}}', body: null } });
    expect((await settingsAudit())[0]).toBe('Olivia Owner went back to the built-in French email');

    // Another admin writes the German template meanwhile: saving the English one here leaves it as they wrote it.
    const german = { subject: 'Willkommen bei {{orgName}}', body: null };
    expect((await stack.api('PATCH', orgUrl('/settings'), { templates: { de: german } })).status).toBe(200);
    await page.getByRole('radio', { name: /English/ }).check();
    await page.getByLabel('Subject').fill('Welcome to {{orgName}}');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await stack.api<OrgSettings>('GET', orgUrl('/settings'))).body.templates.en?.subject).toBe('Welcome to {{orgName}}');
    expect((await stack.api<OrgSettings>('GET', orgUrl('/settings'))).body.templates).toEqual({ en: { subject: 'Welcome to {{orgName}}', body: null }, de: german });
    await closePage(page);
  });

  it('fits a phone: the languages wrap, the fields and the preview take the width', async () => {
    const templates = { en: { subject: 'Welcome aboard {{orgName}}', body: null }, de: { subject: null, body: null } };
    expect((await stack.api('PATCH', orgUrl('/settings'), { templates })).status).toBe(200);
    const phone = await stack.signIn(390);
    await go(phone, 'Settings', 'Settings');
    await expect.poll(() => phone.locator('#preview-status').textContent(), { timeout: 10_000 }).toBe('Preview up to date.');
    expect(await badge(phone, 'en')).toBe('Own text');
    await phone.getByRole('radio', { name: /Deutsch/ }).check();
    await expect.poll(() => previewSubject(phone), { timeout: 10_000 }).toBe('Olivia Owner hat Sie zu Acme Rockets eingeladen');
    await phone.getByLabel('Subject').fill('Willkommen bei {{orgName}}');
    await expect.poll(() => previewSubject(phone), { timeout: 10_000 }).toBe('Willkommen bei Acme Rockets');
    await expectAccessible(phone, 'settings with templates on a phone');
    expect(await overflow(phone)).toBeLessThanOrEqual(0);
    const picker = await phone.locator('#template-languages').boundingBox();
    expect(picker!.x + picker!.width).toBeLessThanOrEqual(390);
    await expect.poll(() => phone.frameLocator('#preview-frame').locator('body').textContent(), { timeout: 10_000 }).toContain('Einladung annehmen');
    // The frame paints once it has been on screen (chromium leaves an unseen frame blank in a full-page shot).
    await phone.locator('#preview-frame').scrollIntoViewIfNeeded();
    await shoot(phone, 'settings-templates-390');
    await closePage(phone);
  });
});
