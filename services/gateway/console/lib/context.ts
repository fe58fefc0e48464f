import type { Api } from './api.ts';
import type { LiveHub } from './live.ts';
import type { MeView, Role } from './types.ts';

/** The organisation the console works on. */
export interface Org {
  orgId: string;
  orgName: string;
  role: Role;
}

/** What every view gets. */
export interface Ctx {
  api: Api;
  me: MeView;
  org: Org;
  live: LiveHub;
  /** Asks in a modal dialog; resolves true on confirm. */
  confirm(title: string, text: string, confirmLabel: string): Promise<boolean>;
  /**
   * Reads the signed-in account again and shows the console as it now is: after the
   * caller's own role changed or they left, the organisations and pages they may see change.
   */
  reload(): Promise<void>;
}

/** A view fills `main` and returns what to undo when the console leaves it. */
export type View = (ctx: Ctx, main: HTMLElement) => (() => void) | void;

/** The org's path prefix. */
export const orgPath = (ctx: Ctx, rest: string) => `/v1/orgs/${ctx.org.orgId}${rest}`;
