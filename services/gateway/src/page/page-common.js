// What the public pages (invite.js, join.js, reset.js) share: element lookup, the JSON
// API, the status line, errors on form fields, the end view, the console's session
// kept in this tab, signing in and the address-code form. Served at /page/page-common.js
// with the pages' headers. All text from the API is set with textContent.

export const $ = (id) => document.getElementById(id);

/** Refusals worth another try on the same page: it says why and stays as it is. */
export const retryable = ['RATE_LIMITED', 'NETWORK', 'INTERNAL', 'SERVICE_UNAVAILABLE', 'UPSTREAM_TIMEOUT'];

/** Where the console keeps its refresh token (sessionStorage: this tab only; see console/lib/api.ts). */
const consoleRefreshKey = 'invites-console.refresh';

export function setStatus(text, isError = false) {
  const status = $('status');
  status.hidden = false;
  status.textContent = text;
  status.classList.toggle('error', isError);
}

/** `{ ok: true, data }` or `{ ok: false, problem }`; a network failure is a problem too. */
export async function api(path, body, bearer, method = 'POST') {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    return { ok: false, problem: { code: 'NETWORK', detail: 'The server could not be reached. Check your connection and try again.' } };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return response.ok ? { ok: true, data } : { ok: false, problem: data ?? { code: 'INTERNAL', detail: 'Something went wrong.' } };
}

/** "a member", "an admin", "an owner". */
export function withArticle(role) {
  return `${/^[aeiou]/i.test(role) ? 'an' : 'a'} ${role}`;
}

/** Each error under its field (by the name its path ends in), the field marked and described by it; the first one focused. */
export function showFieldErrors(form, errors = []) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  let first;
  for (const { path, message } of errors) {
    const input = form.querySelector(`[name="${path.replace(/^\//, '')}"]`);
    if (!input) continue;
    const note = document.createElement('p');
    note.className = 'field-error';
    note.id = `${input.id}-error`;
    note.textContent = `${input.labels?.[0]?.textContent ?? 'This field'} ${message}.`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', `${note.id} ${input.getAttribute('aria-describedby') ?? ''}`.trim());
    input.insertAdjacentElement('afterend', note);
    first ??= input;
  }
  first?.focus();
}

export function busy(element, isBusy) {
  for (const button of element.querySelectorAll('button')) button.disabled = isBusy;
}

/**
 * The end view: the outcome once (as an alert when it is a refusal), and the way on to
 * the console: 'console' to open it after joining, 'signin' to sign in (after
 * `signInLead`, where the page has one), or none.
 */
export function showEnd(text, isError, next, signInLead = '') {
  $('done').hidden = false;
  const message = $('done-message');
  message.textContent = text;
  message.classList.toggle('error', isError);
  message.setAttribute('role', isError ? 'alert' : 'status');
  $('status').hidden = true;
  const way = $('done-next');
  way.replaceChildren();
  if (next) {
    const link = document.createElement('a');
    link.href = '/console';
    link.textContent = next === 'console' ? 'Open the console' : 'Sign in to the console';
    const lead = next === 'console' ? '' : signInLead;
    way.append(...(lead ? [lead] : []), link, next === 'console' ? ' to see your organisation.' : '.');
    way.hidden = false;
  }
  $('main').focus();
}

/** Keeps a session's refresh token for the console in this tab, as the console itself would. */
export function keepSession(pair) {
  try {
    sessionStorage.setItem(consoleRefreshKey, pair.refreshToken);
  } catch {
    // Storage refused (private mode): the console will ask to sign in.
  }
}

export function forgetSession() {
  sessionStorage.removeItem(consoleRefreshKey);
}

/**
 * The session the console left in this tab, refreshed (the new refresh token kept for the
 * console): the refresh reply, or null when there is none or it no longer works (then
 * forgotten, with `forgetStale`).
 */
export async function resumeSession({ forgetStale = false } = {}) {
  let refreshToken;
  try {
    refreshToken = sessionStorage.getItem(consoleRefreshKey);
  } catch {
    return null;
  }
  if (!refreshToken) return null;
  const result = await api('/v1/auth/refresh', { refreshToken });
  if (!result.ok) {
    if (forgetStale) forgetSession();
    return null;
  }
  keepSession(result.data);
  return result.data;
}

/**
 * Signs in from `form` with `login` (an email or a username): the session, with the form
 * still busy for what comes next; or null once the refusal is said and the form is ready
 * for another try.
 */
export async function signIn(form, login, password, explain) {
  busy(form, true);
  setStatus('Signing in…');
  const result = await api('/v1/auth/login', { email: login, password });
  if (result.ok) return result.data;
  busy(form, false);
  setStatus(explain(result.problem), true);
  $('signin-password').focus();
  return null;
}

/** A refusal of the new account's fields, said on them (`invalid` in the status for VALIDATION_FAILED); false for any other refusal. */
export function accountFieldsRefused(form, problem, invalid) {
  if (problem.code !== 'VALIDATION_FAILED' && problem.code !== 'USERNAME_TAKEN') return false;
  setStatus(problem.code === 'USERNAME_TAKEN' ? 'That username is taken: choose another.' : invalid, true);
  showFieldErrors(form, problem.code === 'USERNAME_TAKEN' ? [{ path: '/username', message: 'is taken' }] : problem.errors);
  return true;
}

/** Says where the code went and until when, and readies the field for it (the code form shown). */
export function promptForCode(sent) {
  const until = new Date(sent.expiresAt).toLocaleTimeString(undefined, { timeStyle: 'short' });
  $('code-sent').textContent = `We sent a 6-digit code to ${sent.email}. It works until ${until}. It can take a minute to arrive; check your spam folder too.`;
  $('code-input').value = '';
  $('code-input').focus();
}

/** The code typed in `form`, without spaces; null, said on the field, when it is not 6 digits. */
function typedCode(form) {
  const code = $('code-input').value.replace(/\s+/g, '');
  if (/^[0-9]{6}$/.test(code)) return code;
  setStatus('The code is the 6 digits from the email.', true);
  showFieldErrors(form, [{ path: '/code', message: 'must be 6 digits' }]);
  return null;
}

/** A refused code the person can act on: a wrong one (said on the field), an expired one or a pause; false for any other refusal. */
function codeRetry(form, problem, explain) {
  if (problem.code === 'VERIFICATION_CODE_INVALID') {
    setStatus(problem.detail ?? 'That is not the code we sent.', true);
    showFieldErrors(form, [{ path: '/code', message: 'is not the one we sent' }]);
    return true;
  }
  if (['VERIFICATION_CODE_EXPIRED', ...retryable].includes(problem.code)) {
    setStatus(explain(problem), true);
    return true;
  }
  return false;
}

/**
 * Sends the code typed in `form` to `path`, with `body`: null when the page stays as it
 * is, having said why (not 6 digits, a wrong or expired code, a pause); else the answer.
 */
export async function confirmTypedCode(form, path, body, explain) {
  const code = typedCode(form);
  if (!code) return null;
  busy(form, true);
  setStatus('Checking the code…');
  const result = await api(path, { ...body, code });
  busy(form, false);
  if (!result.ok && codeRetry(form, result.problem, explain)) return null;
  return result;
}
