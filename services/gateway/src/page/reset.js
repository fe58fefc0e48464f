// The password reset page. With a token in the URL fragment (the emailed link, which the
// browser never sends to a server), it sets a new password; without one, it asks for a
// link. All text from the API is set with textContent.

import { $, api, busy, setStatus } from '/page/page-common.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';

function show(id) {
  for (const form of ['request', 'reset']) $(form).hidden = form !== id;
}

function finish(text, signIn = false) {
  show();
  $('done').hidden = false;
  $('done-message').textContent = text;
  $('signin-link').hidden = !signIn;
  setStatus('');
  $('main').focus();
}

function markField(input, message) {
  input.parentElement.querySelector('.field-error')?.remove();
  input.removeAttribute('aria-invalid');
  input.setAttribute('aria-describedby', input.id === 'password' ? 'password-hint' : '');
  if (!message) return;
  const note = document.createElement('p');
  note.className = 'field-error';
  note.id = `${input.id}-error`;
  note.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', `${note.id} ${input.getAttribute('aria-describedby')}`.trim());
  input.insertAdjacentElement('afterend', note);
  input.focus();
}

async function requestLink(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const email = $('email').value.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    setStatus('Enter the email address of your account.', true);
    markField($('email'), 'Enter an email address, like name@example.com.');
    return;
  }
  markField($('email'));
  busy(form, true);
  setStatus('Sending…');
  const locale = (navigator.language ?? 'en').match(/^[a-z]{2}(-[A-Z]{2})?$/)?.[0];
  const result = await api('/v1/auth/password-reset', locale ? { email, locale } : { email });
  busy(form, false);
  if (!result.ok) {
    setStatus(result.problem.detail ?? 'Something went wrong.', true);
    if (result.problem.code === 'VALIDATION_FAILED') markField($('email'), 'Enter an email address, like name@example.com.');
    return;
  }
  finish(`If ${email} has an account, we sent it a link to choose a new password. The link works for ${result.data.linkValidMinutes} minutes. Check your spam folder too.`);
}

async function savePassword(event) {
  event.preventDefault();
  const form = event.currentTarget;
  busy(form, true);
  setStatus('Saving…');
  const result = await api('/v1/auth/password-reset/confirm', { token, password: $('password').value });
  busy(form, false);
  if (result.ok) {
    return finish('Your password is changed, and every session of your account was signed out. Sign in with your new password.', true);
  }
  if (result.problem.code === 'VALIDATION_FAILED') {
    setStatus('Please choose another password.', true);
    const reason = result.problem.errors?.find((e) => e.path === '/password')?.message;
    markField($('password'), reason ? `The password ${reason}.` : (result.problem.detail ?? 'Choose another password.'));
    return;
  }
  if (result.problem.code === 'PASSWORD_RESET_LINK_INVALID') {
    show('request');
    setStatus('This link does not work any more: it was used, or it expired. Ask for a new one below.', true);
    $('email').focus();
    return;
  }
  setStatus(result.problem.detail ?? 'Something went wrong.', true);
}

$('request').addEventListener('submit', requestLink);
$('reset').addEventListener('submit', savePassword);
if (/^[A-Za-z0-9_-]{43}$/.test(token)) {
  show('reset');
  $('password').focus();
} else {
  if (token) setStatus('This link is not complete. Ask for a new one below.', true);
  show('request');
  $('email').focus();
}
