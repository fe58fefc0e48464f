// The invitee's accept page. The token comes from the URL fragment, which the
// browser never sends to a server. All text from the API is set with textContent.
//
// The emailed link also carries `proof`, which shows the address is the reader's: with
// it, the page offers what fits (sign in, or create an account). Without it (a copy of
// the link from the inviter, an SMS), the page offers both, and creating an account
// first needs a code emailed to the invited address, which buys the same proof.
//
// Once the person is signed in (here, or already in the console of this tab), the page
// lists their other pending invitations, answered without their links. After joining,
// it sends them on to the page the organisation named, if the accept reply carries
// one: it never follows a URL from its own address.

import {
  $,
  accountFieldsRefused,
  api,
  busy,
  confirmTypedCode,
  promptForCode,
  resumeSession,
  retryable,
  setStatus,
  showEnd,
  signIn,
  withArticle,
} from '/page/page-common.js';

const fragment = new URLSearchParams(location.hash.slice(1));
const token = fragment.get('token') ?? '';
let proof = fragment.get('proof') ?? undefined;
const forms = ['signup', 'signin', 'newaccount', 'code', 'signedin'];
/** Seconds before the page follows the organisation's redirect. */
const redirectDelay = 5;
/** This link's invite, left out of "Other invitations for you". */
let currentInviteId;
/** The access token of the signed-in person, once there is one. */
let accessToken;

const messages = {
  INVITE_NOT_FOUND: 'This invite link is not valid. It may have been replaced by a newer one: check your latest email.',
  INVITE_EXPIRED: 'This invite has expired. Ask the organisation to send it again.',
  INVITE_WITHDRAWN: 'This invite was withdrawn by the organisation.',
  INVITE_ALREADY_USED: 'This invite has already been used.',
  EMAIL_MISMATCH: 'This invite was sent to another email address than the account you signed in with. Sign in with the invited address.',
  SEAT_LIMIT_REACHED: 'The organisation has no seat left. Ask an administrator to free one, then try again.',
  ALREADY_MEMBER: 'You are already a member of this organisation.',
  INVALID_CREDENTIALS: 'That password does not match an account for this address.',
  ADDRESS_NOT_VERIFIED: 'First confirm that the invited address is yours: we can email you a code.',
  VERIFICATION_CODE_EXPIRED: 'This code no longer works. Ask for a new one.',
};

function explain(problem) {
  return messages[problem.code] ?? problem.detail ?? 'Something went wrong.';
}

function show(...ids) {
  for (const id of forms) $(id).hidden = !ids.includes(id);
}

/**
 * The end of the page: the outcome once (as an alert when it is a refusal), and the way
 * on: the console after joining, signing in when the link can no longer be used.
 */
function finish(text, isError = false, next = isError ? 'signin' : undefined) {
  show();
  $('decline-confirm').hidden = true;
  setStatus('');
  showEnd(text, isError, next, 'Already a member? ');
}

/** Asks on the page itself (not the browser's confirm()), then declines. */
function askToDecline(shown) {
  show();
  $('decline-confirm').hidden = false;
  $('decline-no').onclick = () => {
    $('decline-confirm').hidden = true;
    show(...shown);
  };
  $('decline-yes').onclick = () => decline();
  $('decline-yes').focus();
}

async function decline() {
  $('decline-yes').disabled = true;
  const result = await api('/v1/invites/decline', { token });
  $('decline-yes').disabled = false;
  if (result.ok) finish('You declined the invitation. Nothing else will happen.', false, undefined);
  else finish(explain(result.problem), true);
}

async function acceptAsNew(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const fields = Object.fromEntries(new FormData(form));
  busy(form, true);
  setStatus('Creating your account…');
  const result = await api('/v1/invites/accept', { token, proof, name: fields.name, username: fields.username, password: fields.password });
  busy(form, false);
  if (result.ok) return joined(result.data, `Welcome, ${result.data.user.name}! You are now ${withArticle(result.data.membership.role)} of ${result.data.membership.orgName}.`);
  if (result.problem.code === 'ADDRESS_NOT_VERIFIED') {
    proof = undefined;
    show('signin', 'newaccount');
    setStatus(explain(result.problem), true);
    return;
  }
  if (accountFieldsRefused(form, result.problem, 'Please correct the highlighted fields.')) return;
  finish(explain(result.problem), true);
}

async function acceptAsExisting(event, email) {
  event.preventDefault();
  const form = event.currentTarget;
  const session = await signIn(form, email, $('signin-password').value, explain);
  if (!session) return;
  accessToken = session.accessToken;
  const result = await api('/v1/invites/accept', { token }, accessToken);
  busy(form, false);
  if (result.ok) return joined(result.data, `Welcome back! You are now ${withArticle(result.data.membership.role)} of ${result.data.membership.orgName}.`);
  finish(explain(result.problem), true);
  void showOthers();
}

/** Accepts for the session this tab already had. */
async function acceptSignedIn(button) {
  button.disabled = true;
  setStatus('Accepting…');
  const result = await api('/v1/invites/accept', { token }, accessToken);
  button.disabled = false;
  if (result.ok) return joined(result.data, `Welcome back! You are now ${withArticle(result.data.membership.role)} of ${result.data.membership.orgName}.`);
  finish(explain(result.problem), true);
  void showOthers();
}

/** The success view: the outcome, the person's other invitations, and the organisation's next page. */
async function joined(reply, text) {
  accessToken = reply.accessToken ?? accessToken;
  finish(text, false, 'console');
  const others = await showOthers();
  offerRedirect(reply.redirectUrl, others > 0);
}

/**
 * The URL to send the new member to, or null: only an absolute https URL (or http to
 * this machine, for development), so nothing else (javascript:, data:) is ever followed.
 */
function safeRedirect(url) {
  if (typeof url !== 'string') return null;
  let target;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  if (target.username || target.password) return null;
  if (target.protocol === 'https:') return target;
  if (target.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(target.hostname)) return target;
  return null;
}

/**
 * "Continue to <host>", followed after a countdown the person can stop. With other
 * invitations to answer, the page waits for them to click.
 */
function offerRedirect(url, othersToAnswer) {
  const target = safeRedirect(url);
  if (!target) return;
  const link = $('redirect-link');
  link.href = target.href;
  link.textContent = `Continue to ${target.host}`;
  $('redirect').hidden = false;
  const countdown = $('redirect-countdown');
  const stay = $('redirect-stay');
  if (othersToAnswer) {
    countdown.textContent = 'Answer your other invitations below, then continue.';
    stay.hidden = true;
    return;
  }
  let left = redirectDelay;
  const tell = () => (countdown.textContent = `Taking you there in ${left} s.`);
  tell();
  const timer = setInterval(() => {
    left -= 1;
    if (left > 0) return tell();
    clearInterval(timer);
    countdown.textContent = `Opening ${target.host}…`;
    location.assign(target.href);
  }, 1000);
  stay.hidden = false;
  stay.onclick = () => {
    clearInterval(timer);
    countdown.textContent = 'You are staying here. Use the link whenever you are ready.';
    stay.hidden = true;
    link.focus();
  };
}

/** Lists the signed-in person's other pending invitations; returns how many. */
async function showOthers() {
  if (!accessToken) return 0;
  const result = await api('/v1/me/invites?limit=20', undefined, accessToken, 'GET');
  if (!result.ok) return 0;
  const items = result.data.items.filter((item) => item.id !== currentInviteId);
  const list = $('others-list');
  list.replaceChildren(...items.map(otherItem));
  $('others').hidden = items.length === 0;
  return items.length;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/** One invitation of the inbox, with Accept and Decline (asked again on the page before declining). */
function otherItem(invite) {
  const expires = new Date(invite.expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const outcome = el('p', { class: 'outcome', role: 'status' });
  const accept = el('button', { type: 'button', 'aria-label': `Accept the invitation to ${invite.org.name}` }, 'Accept');
  const decline = el('button', { type: 'button', class: 'secondary', 'aria-label': `Decline the invitation to ${invite.org.name}` }, 'Decline');
  const actions = el('div', { class: 'actions' }, accept, decline);
  const item = el(
    'li',
    { class: 'other', 'data-invite-id': invite.id },
    el('h3', {}, invite.org.name),
    el('p', { class: 'hint' }, `As ${withArticle(invite.role)}, invited by ${invite.inviterName ?? 'the organisation'}. Expires ${expires}.`),
    invite.message ? el('blockquote', {}, invite.message) : null,
    actions,
    outcome,
  );
  const settle = (text, isError = false) => {
    outcome.textContent = text;
    outcome.classList.toggle('error', isError);
    outcome.setAttribute('role', isError ? 'alert' : 'status');
  };
  accept.addEventListener('click', async () => {
    accept.disabled = decline.disabled = true;
    const result = await api(`/v1/me/invites/${encodeURIComponent(invite.id)}/accept`, {}, accessToken);
    if (!result.ok) {
      accept.disabled = decline.disabled = false;
      return settle(explain(result.problem), true);
    }
    actions.remove();
    settle(`You joined ${result.data.membership.orgName} as ${withArticle(result.data.membership.role)}.`);
    const target = safeRedirect(result.data.redirectUrl);
    if (target) outcome.append(' ', el('a', { href: target.href, rel: 'noopener noreferrer' }, `Continue to ${target.host}`));
  });
  decline.addEventListener('click', () => {
    const yes = el('button', { type: 'button', class: 'danger' }, 'Yes, decline');
    const no = el('button', { type: 'button', class: 'secondary' }, 'Keep it');
    const ask = el('div', { class: 'confirm' }, el('p', {}, `Decline the invitation to ${invite.org.name}? The organisation sees that you declined.`), el('div', { class: 'actions' }, yes, no));
    actions.replaceWith(ask);
    no.addEventListener('click', () => {
      ask.replaceWith(actions);
      decline.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = no.disabled = true;
      const result = await api(`/v1/me/invites/${encodeURIComponent(invite.id)}/decline`, {}, accessToken);
      ask.remove();
      if (result.ok) settle(`You declined the invitation to ${invite.org.name}.`);
      else {
        item.append(actions);
        settle(explain(result.problem), true);
      }
    });
    yes.focus();
  });
  return item;
}

/**
 * The console's session of this tab, if there is one for the invited address: the page
 * then offers to accept at once. The refresh token is rotated and put back for the console.
 */
async function resumeSessionFor(invitedEmail) {
  const session = await resumeSession();
  if (!session || session.user.email.toLowerCase() !== invitedEmail.toLowerCase()) return false;
  accessToken = session.accessToken;
  $('signedin-name').textContent = session.user.name;
  $('signedin-email').textContent = session.user.email;
  return true;
}

async function sendCode(button) {
  button.disabled = true;
  setStatus('Sending a code…');
  const result = await api('/v1/invites/verify-email', { token });
  button.disabled = false;
  if (!result.ok) {
    if (retryable.includes(result.problem.code)) {
      setStatus(explain(result.problem), true);
      return;
    }
    return finish(explain(result.problem), true);
  }
  show('code');
  setStatus('');
  promptForCode(result.data);
}

async function confirmCode(event, email) {
  event.preventDefault();
  const result = await confirmTypedCode(event.currentTarget, '/v1/invites/verify-email/confirm', { token }, explain);
  if (!result) return;
  if (!result.ok) return finish(explain(result.problem), true);
  proof = result.data.proof;
  offer(email, result.data.accountExists);
}

/** The address is proven: sign in when it has an account, else create one. */
function offer(email, accountExists) {
  setStatus('');
  if (accountExists) {
    $('signin-lead').textContent = 'An account already exists for this address.';
    show('signin');
    $('signin-password').focus();
  } else {
    show('signup');
    $('name').focus();
  }
}

async function start() {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return finish(messages.INVITE_NOT_FOUND, true);
  const lookup = await api('/v1/invites/lookup', proof ? { token, proof } : { token });
  if (!lookup.ok) return finish(explain(lookup.problem), true);
  const invite = lookup.data;
  currentInviteId = invite.inviteId;
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
  $('signin-email').textContent = invite.email;
  $('code-email').textContent = invite.email;
  $('signin').addEventListener('submit', (event) => acceptAsExisting(event, invite.email));
  $('signup').addEventListener('submit', acceptAsNew);
  $('code').addEventListener('submit', (event) => confirmCode(event, invite.email));
  $('send-code').addEventListener('click', (event) => sendCode(event.currentTarget));
  $('resend-code').addEventListener('click', (event) => sendCode(event.currentTarget));
  $('signup-email').textContent = invite.email;
  $('accept-signedin').addEventListener('click', (event) => acceptSignedIn(event.currentTarget));
  for (const id of ['signin', 'signup', 'signedin']) {
    for (const button of $(id).querySelectorAll('[data-action="decline"]')) {
      button.addEventListener('click', () => askToDecline(forms.filter((form) => !$(form).hidden)));
    }
  }
  if (await resumeSessionFor(invite.email)) {
    setStatus('');
    show('signedin');
    $('accept-signedin').focus();
    void showOthers();
    return;
  }
  if (invite.addressVerified) return offer(invite.email, invite.accountExists);
  // Not proven: whether the address has an account is not ours to say. Both ways in.
  proof = undefined;
  setStatus('');
  show('signin', 'newaccount');
  $('signin-password').focus();
}

start();
