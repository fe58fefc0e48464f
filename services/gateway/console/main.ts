// The admin console: sign-in, the organisation picker, the navigation and a hash
// router that loads each view on demand (esbuild splits them into chunks).
import { createApi, explain } from './lib/api.ts';
import type { Ctx, Org, View } from './lib/context.ts';
import { confirmDialog } from './lib/dialog.ts';
import { pendingInvitations } from './lib/inbox-panel.ts';
import { byId, h, replace } from './lib/dom.ts';
import { startLive, type LiveHub, type LiveMode } from './lib/live.ts';
import type { MeView } from './lib/types.ts';
import type { renderMemberships } from './views/orgs.ts';
import { renderSignIn } from './views/signin.ts';

const routes: Record<string, { title: string; load: () => Promise<{ view: View }> }> = {
  send: { title: 'Send invite', load: () => import('./views/send.ts') },
  invites: { title: 'Invites', load: () => import('./views/invites.ts') },
  bulk: { title: 'Bulk upload', load: () => import('./views/bulk.ts') },
  members: { title: 'Members', load: () => import('./views/members.ts') },
  audit: { title: 'Audit log', load: () => import('./views/audit.ts') },
  settings: { title: 'Settings', load: () => import('./views/settings.ts') },
  analytics: { title: 'Analytics', load: () => import('./views/analytics.ts') },
  webhooks: { title: 'Webhooks', load: () => import('./views/webhooks.ts') },
  'join-links': { title: 'Join links', load: () => import('./views/join-links.ts') },
  orgs: { title: 'Your organisations', load: () => import('./views/orgs.ts') },
};

const orgKey = 'invites-console.org';
const main = byId('main');
const api = createApi((reason) => signedOut(reason));
let me: MeView | null = null;
let live: LiveHub | null = null;
let org: Org | null = null;
let cleanup: (() => void) | void;
let rendering = 0;

const liveWords: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Refreshing every few seconds',
};

function showLiveMode(mode: LiveMode): void {
  const badge = byId('live-state');
  badge.dataset.mode = mode;
  badge.textContent = liveWords[mode];
  badge.title = mode === 'polling' ? 'Live updates are unavailable; the console polls the server instead.' : 'Live updates';
}

function adminOrgs(view: MeView): Org[] {
  return view.memberships.filter((m) => m.role !== 'member').map((m) => ({ orgId: m.orgId, orgName: m.orgName, role: m.role }));
}

function selectOrg(next: Org): void {
  org = next;
  sessionStorage.setItem(orgKey, next.orgId);
  live?.stop();
  live = startLive(api, next.orgId);
  showLiveMode(live.mode);
  live.onMode(showLiveMode);
}

/** Shows the header's organisation picker and live badge, or hides them (someone who administers no organisation). */
function showOrgControls(visible: boolean): void {
  for (const id of ['org-label', 'org-select', 'live-state']) byId(id).hidden = !visible;
}

/** Reads the account again and shows the console as it now is (after a change of the caller's own role or memberships). */
async function reload(): Promise<void> {
  signedIn(await api.get<MeView>('/v1/me'));
}

/**
 * Someone who administers no organisation: their organisations, their role in each and
 * leaving, rather than a refusal.
 */
async function memberHome(view: MeView): Promise<void> {
  live?.stop();
  live = null;
  org = null;
  cleanup?.();
  cleanup = undefined;
  const ticket = ++rendering;
  byId('user-name').textContent = view.user.name;
  showOrgControls(false);
  byId('session').hidden = false;
  byId('nav').hidden = true;
  document.title = 'Your organisations · Invites console';
  let render: typeof renderMemberships;
  try {
    ({ renderMemberships: render } = await import('./views/orgs.ts'));
  } catch {
    replace(main, h('h1', { tabindex: -1 }, 'Your organisations'), h('p', { class: 'error', role: 'alert' }, 'This page could not be loaded. Reload to try again.'));
    return;
  }
  if (ticket !== rendering || me !== view) return;
  main.replaceChildren();
  render(main, { api, me: view, confirm: confirmDialog, reload }, true);
  main.querySelector<HTMLElement>('h1')?.focus();
}

function signedIn(view: MeView): void {
  me = view;
  const orgs = adminOrgs(view);
  if (orgs.length === 0) {
    void memberHome(view);
    return;
  }
  showOrgControls(true);
  const select = byId<HTMLSelectElement>('org-select');
  replace(select, orgs.map((o) => h('option', { value: o.orgId }, `${o.orgName} (${o.role})`)));
  const remembered = orgs.find((o) => o.orgId === sessionStorage.getItem(orgKey));
  selectOrg(remembered ?? orgs[0]!);
  select.value = org!.orgId;
  byId('user-name').textContent = view.user.name;
  byId('session').hidden = false;
  byId('nav').hidden = false;
  const landing = !routes[location.hash.replace(/^#\//, '')];
  if (landing) history.replaceState(null, '', '#/send');
  void route(true);
  void showInvitations(view, landing);
}

/** Invitations waiting for the person: counted in the navigation, and shown first after sign-in. */
async function showInvitations(view: MeView, landing: boolean): Promise<void> {
  const count = await pendingInvitations(api);
  if (me !== view) return;
  const link = byId('nav').querySelector<HTMLAnchorElement>('a[href="#/orgs"]');
  if (link) link.textContent = count > 0 ? `Your organisations (${count} ${count === 1 ? 'invitation' : 'invitations'})` : 'Your organisations';
  if (count > 0 && landing && location.hash === '#/send') location.hash = '#/orgs';
}

function signedOut(reason?: string): void {
  live?.stop();
  live = null;
  me = null;
  org = null;
  cleanup?.();
  cleanup = undefined;
  byId('session').hidden = true;
  byId('nav').hidden = true;
  document.title = 'Sign in · Invites console';
  renderSignIn(main, api, signedIn, reason);
}

async function route(focus: boolean): Promise<void> {
  if (!me || !org || !live) return;
  const name = location.hash.replace(/^#\//, '');
  const target = routes[name];
  if (!target) {
    location.hash = '#/send';
    return;
  }
  const ticket = ++rendering;
  cleanup?.();
  cleanup = undefined;
  for (const link of byId('nav').querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${name}`) {
      link.setAttribute('aria-current', 'page');
      // On a phone the tabs scroll sideways: keep the current one in view.
      link.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
    else link.removeAttribute('aria-current');
  }
  document.title = `${target.title} · ${org.orgName} · Invites console`;
  let view: View;
  try {
    ({ view } = await target.load());
  } catch {
    replace(main, h('h1', { tabindex: -1 }, target.title), h('p', { class: 'error', role: 'alert' }, 'This page could not be loaded. Reload to try again.'));
    return;
  }
  if (ticket !== rendering || !live) return;
  main.replaceChildren();
  const ctx: Ctx = { api, me, org, live, confirm: confirmDialog, reload };
  cleanup = view(ctx, main);
  if (focus) main.querySelector<HTMLElement>('h1')?.focus();
}

window.addEventListener('hashchange', () => void route(true));
byId('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  (main.querySelector<HTMLElement>('h1') ?? main).focus();
});
byId('org-select').addEventListener('change', (event) => {
  const next = me && adminOrgs(me).find((o) => o.orgId === (event.target as HTMLSelectElement).value);
  if (next) {
    selectOrg(next);
    void route(false);
  }
});
byId('sign-out').addEventListener('click', async () => {
  await api.logout();
  sessionStorage.removeItem(orgKey);
  signedOut('You are signed out.');
});

api
  .restore()
  .then((view) => (view ? signedIn(view) : signedOut()))
  .catch((error: unknown) => signedOut(explain(error)));
