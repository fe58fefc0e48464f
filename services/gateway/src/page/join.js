// The join page: the holder of a join link joins the organisation. The token comes
// from the URL fragment, which the browser never sends to a server. All text from the
// API is set with textContent.
//
// Ways in: a session of the console in this tab (its refresh token) joins with one
// click; an account signs in (email or username and password) and joins; a new person
// proves an address with an emailed code, then creates an account and joins.

import {
  $,
  accountFieldsRefused,
  api,
  busy,
  confirmTypedCode,
  forgetSession,
  keepSession,
  promptForCode,
  resumeSession,
  retryable,
  setStatus,
  showEnd,
  showFieldErrors,
  signIn,
  withArticle,
} from '/page/page-common.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const forms = ['signedin', 'signin', 'newaccount', 'code', 'signup'];

let link = null;
let accessToken = null;
let newEmail = '';
let proof;

const messages = {
  JOIN_LINK_NOT_FOUND: 'This join link is not valid. Check that you copied all of it.',
  ALREADY_MEMBER: 'You are already a member of this organisation.',
  SEAT_LIMIT_REACHED: 'The organisation has no seat left. Ask an administrator to free one, then try again.',
  INVALID_CREDENTIALS: 'The email, username or password is wrong.',
  ADDRESS_NOT_VERIFIED: 'First confirm your email address with the code we email you.',
  VERIFICATION_CODE_EXPIRED: 'This code no longer works. Ask for a new one.',
  ACCOUNT_EXISTS: 'An account with this address already exists: sign in above to join.',
};

/** The server's sentence when it has one (it names the allowed domains, the seats), else ours. */
function explain(problem) {
  return problem.detail ?? messages[problem.code] ?? 'Something went wrong.';
}

function show(...ids) {
  for (const id of forms) $(id).hidden = !ids.includes(id);
}

/** The end of the page: the outcome, and the way on (the console). */
function finish(text, isError = false, next = 'console') {
  show();
  showEnd(text, isError, next);
}

/** Signed in: the session kept for the console in this tab, as the console itself would. */
function signedIn(pair) {
  accessToken = pair.accessToken;
  keepSession(pair);
}

function joined(reply) {
  signedIn(reply);
  finish(`Welcome, ${reply.user.name}! You are now ${withArticle(reply.membership.role)} of ${reply.membership.orgName}.`);
}

function refused(problem) {
  if (problem.code === 'ALREADY_MEMBER') return finish(messages.ALREADY_MEMBER, false);
  finish(explain(problem), true, problem.code === 'EMAIL_DOMAIN_NOT_ALLOWED' ? undefined : 'signin');
}

async function joinSignedIn(button) {
  busy($('signedin'), true);
  setStatus('Joining…');
  const result = await api('/v1/join-links/join', { token }, accessToken);
  busy($('signedin'), false);
  if (result.ok) return joined(result.data);
  if (retryable.includes(result.problem.code)) return setStatus(explain(result.problem), true);
  refused(result.problem);
  button.blur();
}

async function signInAndJoin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const login = $('signin-login').value.trim();
  const password = $('signin-password').value;
  if (!login || !password) {
    setStatus('Give your email or username and your password.', true);
    showFieldErrors(form, [!login && { path: '/login', message: 'is required' }, !password && { path: '/password', message: 'is required' }].filter(Boolean));
    return;
  }
  const session = await signIn(form, login, password, explain);
  if (!session) return;
  signedIn(session);
  setStatus('Joining…');
  const result = await api('/v1/join-links/join', { token }, accessToken);
  busy(form, false);
  if (result.ok) return joined(result.data);
  if (retryable.includes(result.problem.code)) return setStatus(explain(result.problem), true);
  refused(result.problem);
}

async function sendCode(event) {
  event?.preventDefault();
  const form = $('newaccount');
  const address = newEmail || $('new-email').value.trim();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
    setStatus('Give the email address you want to join with.', true);
    showFieldErrors(form, [{ path: '/email', message: 'must be an email address' }]);
    return;
  }
  busy(form, true);
  busy($('code'), true);
  setStatus('Sending a code…');
  const result = await api('/v1/join-links/verify-email', { token, email: address });
  busy(form, false);
  busy($('code'), false);
  if (!result.ok) {
    if (result.problem.code === 'EMAIL_DOMAIN_NOT_ALLOWED' || result.problem.code === 'VALIDATION_FAILED') {
      newEmail = '';
      show(...signedOutWays());
      setStatus(explain(result.problem), true);
      showFieldErrors(form, [{ path: '/email', message: result.problem.code === 'VALIDATION_FAILED' ? 'must be an email address' : 'is not at an allowed domain' }]);
      return;
    }
    if (retryable.includes(result.problem.code)) return setStatus(explain(result.problem), true);
    return finish(explain(result.problem), true, 'signin');
  }
  newEmail = result.data.email;
  show('code');
  setStatus('');
  $('status').hidden = true;
  promptForCode(result.data);
}

async function confirmCode(event) {
  event.preventDefault();
  const result = await confirmTypedCode(event.currentTarget, '/v1/join-links/verify-email/confirm', { token, email: newEmail }, explain);
  if (!result) return;
  if (!result.ok) return finish(explain(result.problem), true, 'signin');
  proof = result.data.proof;
  if (result.data.accountExists) {
    show('signin');
    $('signin-login').value = newEmail;
    setStatus(`An account already exists for ${newEmail}: sign in to join.`);
    $('signin-password').focus();
    return;
  }
  $('signup-email').textContent = newEmail;
  show('signup');
  setStatus('');
  $('status').hidden = true;
  $('name').focus();
}

async function createAndJoin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const fields = Object.fromEntries(new FormData(form));
  busy(form, true);
  setStatus('Creating your account…');
  const result = await api('/v1/join-links/join', { token, email: newEmail, proof, name: fields.name, username: fields.username, password: fields.password });
  busy(form, false);
  if (result.ok) return joined(result.data);
  if (accountFieldsRefused(form, result.problem, explain(result.problem))) return;
  if (result.problem.code === 'ADDRESS_NOT_VERIFIED') {
    proof = undefined;
    newEmail = '';
    show(...signedOutWays());
    return setStatus(explain(result.problem), true);
  }
  if (retryable.includes(result.problem.code)) return setStatus(explain(result.problem), true);
  refused(result.problem);
}

function signedOutWays() {
  return ['signin', 'newaccount'];
}

function describe(info) {
  $('title').textContent = `Join ${info.orgName}`;
  $('org-name').textContent = info.orgName;
  $('label').textContent = info.label ?? 'Join link';
  $('role').textContent = info.role;
  $('expires-at').dateTime = info.expiresAt;
  $('expires-at').textContent = new Date(info.expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  if (info.domainRule) {
    $('domain-rule').textContent = info.domainRule;
    $('domain-rule').hidden = false;
    $('new-email-hint').textContent = info.domainRule;
  } else {
    $('new-email-hint').textContent = 'Any address can join through this link.';
  }
  if (info.logoUrl && /^https:\/\//.test(info.logoUrl)) {
    $('logo').src = info.logoUrl;
    $('logo').alt = `${info.orgName} logo`;
    $('logo').hidden = false;
  }
  $('details').hidden = false;
}

/** Signed in: one click, unless the address or the membership already says no. */
function offerSignedIn(you) {
  $('signedin-email').textContent = you.email;
  if (you.alreadyMember) return finish(`You are already a member of ${link.orgName}.`, false);
  if (!you.domainAllowed) {
    show('signin', 'newaccount');
    setStatus(`You are signed in as ${you.email}, which cannot join: ${link.domainRule} Sign in with another account, or create one.`, true);
    return;
  }
  show('signedin');
  setStatus('');
  $('status').hidden = true;
  $('join-now').focus();
}

async function start() {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return finish(messages.JOIN_LINK_NOT_FOUND, true, undefined);
  const session = await resumeSession({ forgetStale: true });
  if (session) accessToken = session.accessToken;
  const lookup = await api('/v1/join-links/lookup', { token }, session ? accessToken : undefined);
  if (!lookup.ok) {
    if (retryable.includes(lookup.problem.code)) return setStatus(explain(lookup.problem), true);
    return finish(explain(lookup.problem), true, undefined);
  }
  link = lookup.data;
  describe(link);
  $('signin').addEventListener('submit', signInAndJoin);
  $('newaccount').addEventListener('submit', sendCode);
  $('code').addEventListener('submit', confirmCode);
  $('resend-code').addEventListener('click', () => sendCode());
  $('other-address').addEventListener('click', () => {
    newEmail = '';
    show(...signedOutWays());
    $('new-email').focus();
  });
  $('signup').addEventListener('submit', createAndJoin);
  $('join-now').addEventListener('click', (event) => joinSignedIn(event.currentTarget));
  $('not-you').addEventListener('click', () => {
    accessToken = null;
    forgetSession();
    show(...signedOutWays());
    $('signin-login').focus();
  });
  if (!link.usable) return finish(link.unusableReason ?? 'This join link cannot be used.', true, undefined);
  if (link.you) return offerSignedIn(link.you);
  show(...signedOutWays());
  setStatus('');
  $('status').hidden = true;
  $('signin-login').focus();
}

start();
