// The invitee's accept page. The token comes from the URL fragment, which the
// browser never sends to a server. All text from the API is set with textContent.

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';

const messages = {
  INVITE_NOT_FOUND: 'This invite link is not valid. It may have been replaced by a newer one: check your latest email.',
  INVITE_EXPIRED: 'This invite has expired. Ask the organisation to send it again.',
  INVITE_WITHDRAWN: 'This invite was withdrawn by the organisation.',
  INVITE_ALREADY_USED: 'This invite has already been used.',
  EMAIL_MISMATCH: 'This invite was sent to another email address than the account you signed in with. Sign in with the invited address.',
  SEAT_LIMIT_REACHED: 'The organisation has no seat left. Ask an administrator to free one, then try again.',
  ALREADY_MEMBER: 'You are already a member of this organisation.',
  INVALID_CREDENTIALS: 'The password is wrong.',
};

function setStatus(text, isError = false) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

async function api(path, body, accessToken) {
  const headers = { 'content-type': 'application/json' };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'omit' });
  } catch {
    return { ok: false, problem: { code: 'NETWORK', detail: 'The server could not be reached. Check your connection and try again.' } };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return response.ok ? { ok: true, data } : { ok: false, problem: data ?? { code: 'INTERNAL', detail: 'Something went wrong.' } };
}

function explain(problem) {
  return messages[problem.code] ?? problem.detail ?? 'Something went wrong.';
}

function finish(text, isError = false) {
  for (const id of ['signup', 'signin']) $(id).hidden = true;
  $('done').hidden = false;
  $('done-message').textContent = text;
  setStatus(isError ? text : '', isError);
  $('main').focus();
}

function showFieldErrors(form, errors = []) {
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

function busy(form, isBusy) {
  for (const button of form.querySelectorAll('button')) button.disabled = isBusy;
}

async function decline(form) {
  if (!confirm('Decline this invitation?')) return;
  busy(form, true);
  const result = await api('/v1/invites/decline', { token });
  busy(form, false);
  if (result.ok) finish('You declined the invitation. Nothing else will happen.');
  else finish(explain(result.problem), true);
}

async function acceptAsNew(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const fields = Object.fromEntries(new FormData(form));
  busy(form, true);
  setStatus('Creating your account…');
  const result = await api('/v1/invites/accept', { token, name: fields.name, username: fields.username, password: fields.password });
  busy(form, false);
  if (result.ok) return finish(`Welcome, ${result.data.user.name}! You are now a ${result.data.membership.role} of ${result.data.membership.orgName}.`);
  if (result.problem.code === 'VALIDATION_FAILED' || result.problem.code === 'USERNAME_TAKEN') {
    setStatus(result.problem.code === 'USERNAME_TAKEN' ? 'That username is taken: choose another.' : 'Please correct the highlighted fields.', true);
    showFieldErrors(form, result.problem.code === 'USERNAME_TAKEN' ? [{ path: '/username', message: 'is taken' }] : result.problem.errors);
    return;
  }
  finish(explain(result.problem), true);
}

async function acceptAsExisting(event, email) {
  event.preventDefault();
  const form = event.currentTarget;
  busy(form, true);
  setStatus('Signing in…');
  const login = await api('/v1/auth/login', { email, password: $('signin-password').value });
  if (!login.ok) {
    busy(form, false);
    setStatus(explain(login.problem), true);
    $('signin-password').focus();
    return;
  }
  const result = await api('/v1/invites/accept', { token }, login.data.accessToken);
  busy(form, false);
  if (result.ok) return finish(`Welcome back! You are now a ${result.data.membership.role} of ${result.data.membership.orgName}.`);
  finish(explain(result.problem), true);
}

async function start() {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return finish(messages.INVITE_NOT_FOUND, true);
  const lookup = await api('/v1/invites/lookup', { token });
  if (!lookup.ok) return finish(explain(lookup.problem), true);
  const invite = lookup.data;
  $('title').textContent = `Join ${invite.orgName}`;
  $('org-name').textContent = invite.orgName;
  $('inviter-name').textContent = invite.inviterName ?? 'The organisation';
  $('role').textContent = invite.role;
  $('email').textContent = invite.email;
  const expires = new Date(invite.expiresAt);
  $('expires-at').dateTime = invite.expiresAt;
  $('expires-at').textContent = expires.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  if (invite.message) {
    $('message').hidden = false;
    $('message').textContent = invite.message;
  }
  $('details').hidden = false;
  setStatus('');
  const form = invite.accountExists ? $('signin') : $('signup');
  form.hidden = false;
  if (invite.accountExists) {
    $('signin-email').textContent = invite.email;
    form.addEventListener('submit', (event) => acceptAsExisting(event, invite.email));
  } else {
    form.addEventListener('submit', acceptAsNew);
  }
  for (const button of form.querySelectorAll('[data-action="decline"]')) button.addEventListener('click', () => decline(form));
  form.querySelector('input')?.focus();
}

start();
