// The settings panel of the origins an invite may send new members to after accepting
// (`redirectOrigins`): one origin per line, saved on its own.
import { ApiError, explain } from './api.ts';
import { orgPath, type Ctx } from './context.ts';
import { fieldError, h } from './dom.ts';
import type { OrgSettings } from './types.ts';

const originPattern = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;

/** The panel; it reads the saved origins itself. */
export function redirectOriginsPanel(ctx: Ctx): HTMLElement {
  const input = h('textarea', {
    id: 'settings-redirect-origins',
    name: 'redirectOrigins',
    rows: 4,
    spellcheck: 'false',
    autocapitalize: 'off',
    placeholder: 'https://app.example.com',
    'aria-describedby': 'settings-redirect-origins-hint',
  });
  const save = h('button', { type: 'submit', id: 'settings-redirect-save' }, 'Save origins');
  const status = h('p', { id: 'settings-redirect-status', role: 'status' });
  const form = h(
    'form',
    { novalidate: true, id: 'redirect-origins-form' },
    h('h2', { id: 'redirect-origins-title' }, 'Redirect after accept'),
    h('label', { for: 'settings-redirect-origins' }, 'Allowed origins, one per line'),
    input,
    h(
      'p',
      { id: 'settings-redirect-origins-hint', class: 'hint' },
      'An invite may send the new member to a page of yours once they accept (its redirectUrl), only on these origins: https://host or https://host:port, without a path, at most 20. Removing an origin stops invites made before from leading there.',
    ),
    h('div', { class: 'actions' }, save, status),
  );
  const fill = (settings: OrgSettings) => (input.value = settings.redirectOrigins.join('\n'));

  ctx.api
    .get<OrgSettings>(orgPath(ctx, '/settings'))
    .then(fill)
    .catch((error: unknown) => {
      status.className = 'error';
      status.textContent = explain(error);
    });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fieldError(input, null);
    const origins = input.value
      .split(/\s+/)
      .map((line) => line.trim().replace(/\/+$/, ''))
      .filter(Boolean);
    const bad = origins.find((origin) => !originPattern.test(origin));
    if (bad) {
      fieldError(input, `${bad} is not an origin: write https://host or https://host:port, without a path.`);
      input.focus();
      return;
    }
    save.disabled = true;
    status.className = '';
    status.textContent = 'Saving…';
    try {
      fill(await ctx.api.patch<OrgSettings>(orgPath(ctx, '/settings'), { redirectOrigins: origins }));
      status.className = 'success';
      status.textContent = 'Saved. Invites may now lead to these origins.';
    } catch (error) {
      status.className = 'error';
      status.textContent = explain(error);
      if (error instanceof ApiError && error.problem.errors?.length) {
        fieldError(input, `${error.problem.detail}.`);
        input.focus();
      }
    } finally {
      save.disabled = false;
    }
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'redirect-origins-title', id: 'redirect-origins' }, form);
}
