// The organisation's email: subject and body with placeholders per language (a language
// without its own text gets the built-in email in that language), logo, accent colour,
// default language, and a live preview of the chosen language rendered by the server
// exactly as the notifier will send it, shown in a sandboxed frame (no scripts, no
// same-origin access).
import { ApiError, explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { debounce, fieldError, h } from '../lib/dom.ts';
import { localeOptions, locales, templateLocaleOf } from '../lib/options.ts';
import { placeholders, unknownPlaceholders } from '../lib/template.ts';
import { redirectOriginsPanel } from '../lib/redirect-origins.ts';
import type { LocaleTemplates, OrgSettings, OrgSettingsPatch, RenderedEmail, TemplateLocale } from '../lib/types.ts';

const colourPattern = /^#[0-9a-fA-F]{6}$/;

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const subject = h('input', { id: 'settings-subject', name: 'emailSubject', maxlength: 200, placeholder: 'Built-in subject', 'aria-describedby': 'placeholder-help' });
  const body = h('textarea', { id: 'settings-body', name: 'emailBody', maxlength: 5000, rows: 10, placeholder: 'Built-in text', 'aria-describedby': 'placeholder-help settings-body-hint' });
  const logo = h('input', { id: 'settings-logo', name: 'logoUrl', type: 'url', maxlength: 500, placeholder: 'https://example.com/logo.png', 'aria-describedby': 'settings-logo-hint' });
  const colour = h('input', { id: 'settings-colour', name: 'accentColor', maxlength: 7, placeholder: '#2456d6', 'aria-describedby': 'settings-colour-hint' });
  const picker = h('input', { id: 'settings-colour-picker', type: 'color', value: '#2456d6', 'aria-label': 'Pick the accent colour' });
  const locale = h('select', { id: 'settings-locale', name: 'defaultLocale' }, localeOptions('en'));
  const useBuiltIn = h('button', { type: 'button', class: 'secondary small', id: 'settings-builtin' }, 'Use the built-in template');
  const languageBadges = new Map<TemplateLocale, HTMLElement>();
  const languageRadios = new Map<TemplateLocale, HTMLInputElement>();
  const languages = h(
    'fieldset',
    { id: 'template-languages', class: 'language-picker', 'aria-describedby': 'template-languages-hint' },
    h('legend', {}, 'Language'),
    locales.map(([code, name]) => {
      const radio = h('input', { type: 'radio', name: 'template-language', id: `template-language-${code}`, value: code });
      const badge = h('span', { class: 'badge', 'data-tone': 'none' }, 'Built-in');
      languageRadios.set(code, radio);
      languageBadges.set(code, badge);
      return h('label', { class: 'language-choice', for: `template-language-${code}` }, radio, h('span', { lang: code }, name), badge);
    }),
  );
  const previewLanguage = h('span', { id: 'preview-language' });
  const save = h('button', { type: 'submit', id: 'settings-save' }, 'Save');
  const revert = h('button', { type: 'button', class: 'secondary', id: 'settings-revert' }, 'Undo changes');
  const status = h('p', { id: 'settings-status', role: 'status' });
  const previewStatus = h('p', { id: 'preview-status', role: 'status', class: 'muted' }, 'Loading the preview…');
  const previewSubject = h('span', { id: 'preview-subject' });
  const frame = h('iframe', { id: 'preview-frame', class: 'preview-frame', sandbox: '', title: 'Email preview', referrerpolicy: 'no-referrer' });
  const previewText = h('pre', { id: 'preview-text' });
  let saved: OrgSettings | null = null;
  let previewTicket = 0;
  let gone = false;
  /** Each language's subject and body as typed (empty: the built-in email); the fields show `language`'s. */
  const drafts = new Map<TemplateLocale, { subject: string; body: string }>(locales.map(([code]) => [code, { subject: '', body: '' }]));
  let language: TemplateLocale = 'en';

  const fields = { emailSubject: subject, emailBody: body, logoUrl: logo, accentColor: colour, defaultLocale: locale };
  const languageName = (code: TemplateLocale) => locales.find(([c]) => c === code)?.[1] ?? code;

  /** The typed text into the current language's draft, and each language's badge: its own text or the built-in one. */
  const keepDraft = () => {
    drafts.set(language, { subject: subject.value, body: body.value });
    for (const [code, draft] of drafts) {
      const own = draft.subject.trim() !== '' || draft.body.trim() !== '';
      const badge = languageBadges.get(code)!;
      badge.textContent = own ? 'Own text' : 'Built-in';
      badge.dataset.tone = own ? 'ok' : 'none';
    }
    useBuiltIn.disabled = subject.value.trim() === '' && body.value.trim() === '';
  };

  const showLanguage = (code: TemplateLocale) => {
    language = code;
    languageRadios.get(code)!.checked = true;
    const draft = drafts.get(code)!;
    subject.value = draft.subject;
    body.value = draft.body;
    subject.setAttribute('lang', code);
    body.setAttribute('lang', code);
    previewLanguage.textContent = languageName(code);
    keepDraft();
  };

  /** The form from settings; on the default language's template unless `keepLanguage`. */
  const fill = (settings: OrgSettings, keepLanguage = false) => {
    for (const [code] of locales) drafts.set(code, { subject: settings.templates[code]?.subject ?? '', body: settings.templates[code]?.body ?? '' });
    showLanguage(keepLanguage ? language : templateLocaleOf(settings.defaultLocale));
    logo.value = settings.logoUrl ?? '';
    colour.value = settings.accentColor ?? '';
    picker.value = settings.accentColor ?? '#2456d6';
    locale.value = settings.defaultLocale;
  };

  /** The form as settings (empty fields: the built-in default; every language's template), and its problems. */
  const read = (): { settings: OrgSettingsPatch; problems: [HTMLElement, string][] } => {
    keepDraft();
    const problems: [HTMLElement, string][] = [];
    const unknownIn = (text: string) => {
      const unknown = unknownPlaceholders(text);
      return unknown.length ? `Unknown placeholder${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `{{${u}}}`).join(', ')}` : null;
    };
    for (const input of [subject, body]) {
      const problem = unknownIn(input.value);
      if (problem) problems.push([input, `${problem}.`]);
    }
    // Another language's text is not on screen: the problem is named at the language picker.
    const elsewhere = locales.flatMap(([code, name]) => {
      if (code === language) return [];
      const draft = drafts.get(code)!;
      return [unknownIn(draft.subject) && `${name} subject: ${unknownIn(draft.subject)!}`, unknownIn(draft.body) && `${name} text: ${unknownIn(draft.body)!}`].filter((p): p is string => !!p);
    });
    if (elsewhere.length) problems.push([languages, `${elsewhere.join('. ')}.`]);
    if (logo.value.trim() && !/^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[^\s"<>]*)?$/.test(logo.value.trim())) problems.push([logo, 'The logo URL must start with https://.']);
    if (colour.value.trim() && !colourPattern.test(colour.value.trim())) problems.push([colour, 'The colour must be # and six hex digits, e.g. #2456d6.']);
    const text = (v: string) => (v.trim() === '' ? null : v.trim());
    const templates: LocaleTemplates = {};
    for (const [code, draft] of drafts) templates[code] = { subject: text(draft.subject), body: text(draft.body) };
    return {
      settings: { templates, logoUrl: text(logo.value), accentColor: text(colour.value), defaultLocale: locale.value },
      problems,
    };
  };

  const showProblems = (problems: [HTMLElement, string][]) => {
    for (const input of [...Object.values(fields), languages]) fieldError(input, null);
    for (const [input, message] of problems) fieldError(input, message);
  };

  const renderPreview = async () => {
    const { settings, problems } = read();
    showProblems(problems);
    if (problems.length) {
      previewStatus.className = 'error';
      previewStatus.textContent = 'The preview waits until the highlighted fields are fixed.';
      return;
    }
    const ticket = ++previewTicket;
    previewStatus.className = 'muted';
    previewStatus.textContent = 'Updating the preview…';
    try {
      const email = await ctx.api.post<RenderedEmail>(orgPath(ctx, '/settings/preview'), { settings, locale: language });
      if (ticket !== previewTicket || gone) return;
      previewSubject.textContent = email.subject;
      frame.srcdoc = email.html;
      previewText.textContent = email.text;
      previewStatus.textContent = 'Preview up to date.';
    } catch (error) {
      if (ticket !== previewTicket || gone) return;
      previewStatus.className = 'error';
      previewStatus.textContent = `No preview: ${explain(error)}`;
    }
  };
  const schedulePreview = debounce(() => void renderPreview(), 400);

  for (const input of [subject, body, logo, colour]) input.addEventListener('input', schedulePreview);
  for (const input of [subject, body]) input.addEventListener('input', keepDraft);
  locale.addEventListener('change', schedulePreview);
  languages.addEventListener('change', (event) => {
    const code = (event.target as HTMLInputElement).value as TemplateLocale;
    keepDraft();
    showLanguage(code);
    void renderPreview();
  });
  useBuiltIn.addEventListener('click', () => {
    subject.value = '';
    body.value = '';
    keepDraft();
    status.className = '';
    status.textContent = `${languageName(language)}: the built-in email, once saved.`;
    subject.focus();
    void renderPreview();
  });
  picker.addEventListener('input', () => {
    colour.value = picker.value;
    schedulePreview();
  });
  colour.addEventListener('input', () => {
    if (colourPattern.test(colour.value.trim())) picker.value = colour.value.trim();
  });
  revert.addEventListener('click', () => {
    if (saved) fill(saved, true);
    status.textContent = 'Changes undone.';
    void renderPreview();
  });

  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'settings-form-title' },
    h('h2', { id: 'settings-form-title' }, 'Invitation email'),
    languages,
    h('p', { id: 'template-languages-hint', class: 'hint' }, 'Each language has its own email; invites get the one of their language. A language without its own text gets the built-in email in that language.'),
    h('label', { for: 'settings-subject' }, 'Subject'),
    subject,
    h('label', { for: 'settings-body' }, 'Text'),
    body,
    h('p', { id: 'settings-body-hint', class: 'hint' }, 'Plain text; a blank line starts a new paragraph. Leave a field empty to use the built-in text.'),
    h('div', { class: 'actions builtin-row' }, useBuiltIn),
    h(
      'div',
      { id: 'placeholder-help', class: 'hint placeholders' },
      'Placeholders: ',
      placeholders.map((p, i) => [i ? ', ' : '', h('code', {}, `{{${p}}}`)]),
      '.',
    ),
    h('h2', {}, 'Branding'),
    h('label', { for: 'settings-logo' }, 'Logo URL'),
    logo,
    h('p', { id: 'settings-logo-hint', class: 'hint' }, 'An HTTPS address of an image, shown at the top of the email.'),
    h('label', { for: 'settings-colour' }, 'Accent colour'),
    h('div', { class: 'colour-row field' }, colour, picker),
    h('p', { id: 'settings-colour-hint', class: 'hint' }, 'For the button in the email. Empty: the built-in blue.'),
    h('label', { for: 'settings-locale' }, 'Default language of invites'),
    locale,
    h('div', { class: 'actions' }, save, revert, status),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { settings, problems } = read();
    showProblems(problems);
    if (problems.length) {
      problems[0]![0].focus();
      status.className = 'error';
      status.textContent = 'Check the highlighted fields.';
      return;
    }
    save.disabled = true;
    status.className = '';
    status.textContent = 'Saving…';
    try {
      // Only the languages edited here: another admin's change to another language stays.
      const templates: LocaleTemplates = {};
      for (const [code] of locales) {
        const mine = settings.templates?.[code];
        const before = { subject: saved?.templates[code]?.subject ?? null, body: saved?.templates[code]?.body ?? null };
        if (mine && (mine.subject !== before.subject || mine.body !== before.body)) templates[code] = mine;
      }
      saved = await ctx.api.patch<OrgSettings>(orgPath(ctx, '/settings'), { ...settings, templates });
      fill(saved, true);
      status.className = 'success';
      status.textContent = 'Saved. New invites use these settings.';
    } catch (error) {
      status.className = 'error';
      status.textContent = explain(error);
      if (error instanceof ApiError) {
        const mapped = (error.problem.errors ?? []).flatMap(({ path, message }): [HTMLElement, string][] => {
          const segments = path.split('/').filter(Boolean);
          const at = segments.indexOf('templates');
          if (at >= 0) {
            // templates/<language>/<subject|body>: the field if that language is on screen, else the picker.
            const [code, field] = [segments[at + 1] as TemplateLocale, segments[at + 2]];
            if (code === language && (field === 'subject' || field === 'body')) return [[field === 'subject' ? subject : body, `${message}.`]];
            return [[languages, `${languageName(code)} ${field === 'body' ? 'text' : (field ?? 'template')}: ${message}.`]];
          }
          const input = fields[segments.pop() as keyof typeof fields];
          return input ? [[input, `${message}.`]] : [];
        });
        showProblems(mapped);
        mapped[0]?.[0].focus();
      }
    } finally {
      save.disabled = false;
    }
  });

  const previewPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title' }, 'Preview'),
    h('p', { class: 'muted' }, 'In ', previewLanguage, ', the language chosen for the template.'),
    previewStatus,
    h('p', {}, h('strong', {}, 'Subject: '), previewSubject),
    frame,
    h('details', {}, h('summary', {}, 'Plain-text version'), previewText),
  );

  const loading = h('p', { role: 'status' }, 'Loading the settings…');
  main.append(h('h1', { tabindex: -1 }, 'Settings'), loading);
  ctx.api
    .get<OrgSettings>(orgPath(ctx, '/settings'))
    .then((settings) => {
      saved = settings;
      fill(settings);
      loading.remove();
    })
    .catch((error: unknown) => {
      loading.className = 'notice';
      loading.textContent = explain(error);
      save.disabled = true;
    })
    .finally(() => {
      if (gone) return;
      main.append(h('div', { class: 'grid-2' }, h('section', { class: 'panel' }, form), previewPanel));
      main.append(redirectOriginsPanel(ctx));
      void renderPreview();
    });
  return () => {
    gone = true;
    schedulePreview.cancel();
  };
};
