// The analytics page's headline figures, as text. No DOM here: the browser test
// formats the API's answer with this same list and expects it on the page.
import { count, duration, percent } from './format.ts';
import type { Funnel } from './types.ts';

/** [element id suffix, label, text of the value], in page order. */
export const headlineFigures: [id: string, label: string, value: (f: Funnel) => string][] = [
  ['created', 'Invites created', (f) => count(f.created)],
  ['delivered', 'Delivered', (f) => count(f.delivered)],
  ['accepted', 'Accepted', (f) => count(f.accepted)],
  ['acceptance-rate', 'Acceptance rate', (f) => percent(f.acceptanceRate)],
  ['median-accept', 'Median time to accept', (f) => duration(f.medianSecondsToAccept)],
  ['withdrawal-rate', 'Withdrawn', (f) => percent(f.withdrawalRate)],
  ['expiry-rate', 'Expired', (f) => percent(f.expiryRate)],
  ['failure-rate', 'Delivery failed', (f) => percent(f.deliveryFailureRate)],
];

/** The columns of the by-role and by-channel table. */
export const groupColumns: [label: string, value: (f: Funnel) => string][] = [
  ['Created', (f) => count(f.created)],
  ['Delivered', (f) => count(f.delivered)],
  ['Accepted', (f) => count(f.accepted)],
  ['Acceptance', (f) => percent(f.acceptanceRate)],
  ['Withdrawn', (f) => count(f.withdrawn)],
  ['Expired', (f) => count(f.expired)],
  ['Delivery failed', (f) => count(f.deliveryFailed)],
  ['Median to accept', (f) => duration(f.medianSecondsToAccept)],
];
