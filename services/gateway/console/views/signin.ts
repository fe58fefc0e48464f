import { explain, type Api } from '../lib/api.ts';
import { h, replace } from '../lib/dom.ts';
import type { MeView } from '../lib/types.ts';

/** The sign-in form: email or username, and password; errors in an alert beside the form. */
export function renderSignIn(main: HTMLElement, api: Api, onSignedIn: (me: MeView) => void, notice?: string): void {
  const status = h('p', { id: 'signin-status', role: 'alert', class: notice ? 'notice' : null }, notice ?? '');
  const email = h('input', { id: 'signin-email', name: 'email', type: 'text', inputmode: 'email', autocapitalize: 'none', spellcheck: 'false', autocomplete: 'username', required: true });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'panel signin', novalidate: true, 'aria-labelledby': 'signin-title' },
    h('label', { for: 'signin-email' }, 'Email or username'),
    email,
    h('label', { for: 'signin-password' }, 'Password'),
    password,
    h('div', { class: 'actions' }, submit),
    h('p', { class: 'hint' }, h('a', { href: '/reset-password' }, 'Forgot your password?')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!email.value || !password.value) {
      status.className = 'error';
      status.textContent = 'Enter your email (or username) and password.';
      (email.value ? password : email).focus();
      return;
    }
    submit.disabled = true;
    status.className = '';
    status.textContent = 'Signing in…';
    try {
      const me = await api.login(email.value.trim(), password.value);
      status.textContent = '';
      onSignedIn(me);
    } catch (error) {
      status.className = 'error';
      const message = explain(error);
      status.textContent = /INVALID_CREDENTIALS/.test(String((error as { problem?: { code?: string } }).problem?.code)) ? 'The email, username or password is wrong.' : message;
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, h('div', { class: 'signin-wrap' }, h('h1', { id: 'signin-title', tabindex: -1 }, 'Sign in to the invites console'), status, form));
  email.focus();
}
