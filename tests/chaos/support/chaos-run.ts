import { performance } from 'node:perf_hooks';
import { sleep, type ChaosStack } from './chaos-stack.ts';
import type { InviteLoad, KeyOutcome } from './invite-load.ts';

/**
 * What a chaos scenario does and checks: faults injected one after another while the
 * load runs (each once the load has reached its share of the invites, and only after
 * the stack recovered from the previous one), then the books: database rows against
 * the client's 201 answers, the mailbox against the pending invites, the API's
 * delivery state against the mailbox.
 */

export interface Fault {
  name: string;
  inject(): Promise<void>;
}

export interface FaultRecord {
  name: string;
  /** Invites acknowledged when it struck, of the total. */
  atAcknowledged: number;
  /** Whether the load was still running when it struck. */
  duringLoad: boolean;
  /** Seconds from the fault until every /readyz answered 200 and a create succeeded again. */
  recoverySeconds: number;
}

/**
 * Runs `faults` during `load`: fault i strikes once (i + 1) / (n + 1) of `total` invites
 * are acknowledged, then waits for recovery before the next may strike.
 */
export async function injectFaults(stack: ChaosStack, load: InviteLoad, total: number, faults: Fault[], log: (line: string) => void): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  let loadDone = false;
  void load.done.then(() => (loadDone = true));
  for (const [i, fault] of faults.entries()) {
    const mark = Math.floor((total * (i + 1)) / (faults.length + 1));
    while (load.acknowledged() < mark && !loadDone) await sleep(20);
    const atAcknowledged = load.acknowledged();
    const duringLoad = !loadDone;
    const started = performance.now();
    log(`fault ${i + 1}/${faults.length}: ${fault.name} at ${atAcknowledged}/${total} acknowledged`);
    await fault.inject();
    await stack.ready(180_000);
    // Recovered means serving again: a create that succeeded after the fault.
    while (load.lastCreatedAt() < started && !loadDone) await sleep(20);
    const recoverySeconds = (performance.now() - started) / 1000;
    log(`  recovered in ${recoverySeconds.toFixed(1)} s`);
    records.push({ name: fault.name, atAcknowledged, duringLoad, recoverySeconds });
  }
  return records;
}

interface InviteRow {
  id: string;
  email: string;
  status: string;
  email_status: string;
}

interface ApiInvite {
  id: string;
  email: string;
  delivery: { email: { status: string; providerMessageId: string | null } };
}

export interface Books {
  /** Invites the load's keys left in the database. */
  created: number;
  /** Keys that got a 201. */
  acknowledged: number;
  /** Keys whose client gave up or got a final answer other than 201. */
  unacknowledged: { key: string; final: number; answers: string }[];
  /** 201 answers whose invite is not in the database. */
  lostWrites: number;
  /** Keys with more than one invite in the database, or whose 201 answers named different invites. */
  duplicateInvites: number;
  /** Pending invites with no email in the mailbox. */
  lostEmails: number;
  /** Pending invites with more than one distinct email (Message-ID) in the mailbox. */
  duplicateEmails: number;
  /** Extra transmissions of a Message-ID already in the mailbox (an ambiguous send retried; the mailbox keeps one). */
  repeatedTransmissions: number;
  /** Emails that belong to no invite of the org, or went to another address than the invite's. */
  strayEmails: number;
  /** Pending invites whose email delivery state in the API disagrees with the mailbox. */
  apiDisagreements: number;
  /** Requests answered, and how: status (code) → count, over every attempt. */
  answers: Record<string, number>;
  /** Longest time between two emails arriving: how long a fault stalled delivery. */
  longestEmailGapSeconds: number;
}

/** `a, a, a, b` as `a ×3, b`. */
function runs(labels: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < labels.length; ) {
    let j = i;
    while (j < labels.length && labels[j] === labels[i]) j++;
    out.push(j - i > 1 ? `${labels[i]} ×${j - i}` : labels[i]!);
    i = j;
  }
  return out.join(', ');
}

/** Invite id of a Message-ID `<inviteId.tokenVersion.channel@domain>`. */
const inviteIdOf = (messageId: string) => /^<([0-9a-f-]{36})\./.exec(messageId)?.[1];

async function apiInvites(stack: ChaosStack, orgId: string, accessToken: string): Promise<ApiInvite[]> {
  const items: ApiInvite[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `${stack.base}/v1/orgs/${orgId}/invites?status=pending&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
    if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { items: ApiInvite[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/**
 * Waits until every pending invite of the load has its email sent (in the database) and
 * in the mailbox, or `timeoutMs` passed; returns the seconds it took.
 */
export async function awaitDeliveries(stack: ChaosStack, orgId: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const rows = await stack.sql<InviteRow>(`select id, lower(email) as email, status, email_status from invites where org_id = $1 and status = 'pending'`, [orgId]);
    const mailed = new Set((await stack.mail.mails()).map((m) => inviteIdOf(m.messageId)));
    if (rows.every((r) => r.email_status === 'sent' && mailed.has(r.id))) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) return (performance.now() - started) / 1000;
    await sleep(500);
  }
}

export async function keepBooks(stack: ChaosStack, orgId: string, accessToken: string, outcomes: KeyOutcome[]): Promise<Books> {
  const rows = await stack.sql<InviteRow>(`select id, lower(email) as email, status, email_status from invites where org_id = $1`, [orgId]);
  const mails = await stack.mail.mails();
  const api = await apiInvites(stack, orgId, accessToken);

  const byId = new Map(rows.map((r) => [r.id, r]));
  const rowsByEmail = new Map<string, InviteRow[]>();
  for (const row of rows) rowsByEmail.set(row.email, [...(rowsByEmail.get(row.email) ?? []), row]);

  const answers: Record<string, number> = {};
  let lostWrites = 0;
  let duplicateInvites = 0;
  let created = 0;
  const unacknowledged: Books['unacknowledged'] = [];
  for (const outcome of outcomes) {
    for (const a of outcome.answers) {
      const label = a.code ? `${a.status} ${a.code}` : String(a.status);
      answers[label] = (answers[label] ?? 0) + 1;
    }
    const ids = new Set(outcome.createdIds);
    for (const id of ids) if (!byId.has(id)) lostWrites += 1;
    const inDb = rowsByEmail.get(outcome.email) ?? [];
    created += inDb.length;
    if (inDb.length > 1 || ids.size > 1) duplicateInvites += 1;
    if (outcome.final !== 201) {
      unacknowledged.push({ key: outcome.key, final: outcome.final, answers: runs(outcome.answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`)) });
    }
  }

  // One mailbox copy per Message-ID, as a provider files them.
  const mailbox = new Map<string, { to: string[]; copies: number }>();
  for (const mail of mails) {
    const kept = mailbox.get(mail.messageId);
    if (kept) kept.copies += 1;
    else mailbox.set(mail.messageId, { to: mail.to, copies: 1 });
  }
  const messageIdsByInvite = new Map<string, string[]>();
  let strayEmails = 0;
  let repeatedTransmissions = 0;
  for (const [messageId, { to, copies }] of mailbox) {
    repeatedTransmissions += copies - 1;
    const inviteId = inviteIdOf(messageId);
    const invite = inviteId ? byId.get(inviteId) : undefined;
    if (!invite || to.length !== 1 || to[0] !== invite.email) {
      strayEmails += 1;
      continue;
    }
    messageIdsByInvite.set(invite.id, [...(messageIdsByInvite.get(invite.id) ?? []), messageId]);
  }
  const pending = rows.filter((r) => r.status === 'pending');
  const lostEmails = pending.filter((r) => !messageIdsByInvite.has(r.id)).length;
  const duplicateEmails = pending.filter((r) => (messageIdsByInvite.get(r.id)?.length ?? 0) > 1).length;

  const apiById = new Map(api.map((i) => [i.id, i]));
  let apiDisagreements = 0;
  for (const row of pending) {
    const shown = apiById.get(row.id);
    const inMailbox = messageIdsByInvite.get(row.id) ?? [];
    const agrees = shown !== undefined && (shown.delivery.email.status === 'sent' ? inMailbox.length === 1 && shown.delivery.email.providerMessageId === inMailbox[0] : inMailbox.length === 0);
    if (!agrees) apiDisagreements += 1;
  }

  const arrivals = mails.map((m) => m.at).sort((a, b) => a - b);
  const longestEmailGapSeconds = arrivals.reduce((gap, at, i) => (i === 0 ? 0 : Math.max(gap, at - arrivals[i - 1]!)), 0) / 1000;

  return {
    created,
    acknowledged: outcomes.filter((o) => o.final === 201).length,
    longestEmailGapSeconds,
    unacknowledged,
    lostWrites,
    duplicateInvites,
    lostEmails,
    duplicateEmails,
    repeatedTransmissions,
    strayEmails,
    apiDisagreements,
    answers,
  };
}

/** The one summary line of a scenario. */
export function summaryLine(scenario: string, books: Books, faults: FaultRecord[], extra: Record<string, string | number> = {}): string {
  const recovery = faults.map((f) => `${f.name} ${f.recoverySeconds.toFixed(1)}s`).join(', ');
  const fields = {
    created: books.created,
    acknowledged: books.acknowledged,
    'lost writes': books.lostWrites,
    'lost emails': books.lostEmails,
    duplicates: books.duplicateInvites + books.duplicateEmails,
    'repeated transmissions': books.repeatedTransmissions,
    'longest email gap s': books.longestEmailGapSeconds.toFixed(1),
    ...extra,
  };
  return `chaos ${scenario}: ${Object.entries(fields)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}; recovery: ${recovery || 'n/a'}`;
}
