// Keeps a set of invites fresh: re-reads an invite when a live event names it, and
// polls the unsettled ones while live events are unavailable (and, slowly, even when
// they are, as a safety net).
import type { Api } from './api.ts';
import type { LiveHub } from './live.ts';
import { settled } from './status.ts';
import type { ConsoleEvent, InviteView } from './types.ts';

export interface Watcher {
  watch(invite: InviteView): void;
  stop(): void;
}

export function watchInvites(
  api: Api,
  live: LiveHub,
  orgId: string,
  onUpdate: (invite: InviteView, event?: ConsoleEvent) => void,
  options: { pollMs?: number; safetyMs?: number } = {},
): Watcher {
  const watched = new Map<string, InviteView>();
  /** Reads under way; `true` when something happened since one started, so it must read again. */
  const inFlight = new Map<string, boolean>();
  let stopped = false;

  const reload = async (id: string, event?: ConsoleEvent): Promise<void> => {
    if (stopped) return;
    if (inFlight.has(id)) {
      // The read under way may have left before this change: read once more after it.
      inFlight.set(id, true);
      return;
    }
    inFlight.set(id, false);
    try {
      const invite = await api.get<InviteView>(`/v1/orgs/${orgId}/invites/${id}`);
      if (stopped) return;
      watched.set(id, invite);
      onUpdate(invite, event);
    } catch {
      // The next event or poll tries again.
    } finally {
      const again = inFlight.get(id);
      inFlight.delete(id);
      if (again) void reload(id);
    }
  };

  const unsubscribe = live.subscribe((event) => {
    if (watched.has(event.inviteId)) void reload(event.inviteId, event);
  });
  // A (re)connected stream does not replay what happened while it was down: catch up.
  const unsubscribeMode = live.onMode((mode) => {
    if (mode === 'live') for (const [id, invite] of watched) if (!settled(invite)) void reload(id);
  });

  let lastSafety = Date.now();
  const timer = setInterval(() => {
    const safety = Date.now() - lastSafety >= (options.safetyMs ?? 15_000);
    if (live.mode === 'live' && !safety) return;
    if (safety) lastSafety = Date.now();
    for (const [id, invite] of watched) if (!settled(invite)) void reload(id);
  }, options.pollMs ?? 2000);

  return {
    watch(invite) {
      watched.set(invite.id, invite);
      // Events may have come and gone between the reply and this call.
      if (!settled(invite)) void reload(invite.id);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      unsubscribeMode();
    },
  };
}
