import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TSchema } from 'typebox';
import { CreateOrgRequest, DomainError, emailsKeptInDevMailbox, fieldErrors, isDomainError, UpdateOrgRequest } from '@invite/contracts';
import { createDomain } from './app.ts';
import { loadInvitesConfig } from './config.ts';
import { migrate } from './db/orm.ts';
import type { Context } from './domain/context.ts';
import { createOrg, updateOrg } from './domain/org.commands.ts';

/**
 * Operator commands, run in-process against the database (the invites service need
 * not be running; its outbox relay publishes the resulting events when it is).
 * Piped (or with --json), prints one JSON object on stdout; at a terminal, asks for
 * what the flags left out and says what to do next. Errors go to stderr, one sentence
 * per flag, with a non-zero exit.
 */
const usage = `Usage:
  npm run admin -- create-org --name NAME --seats N --owner-email EMAIL [--plan PLAN] [--json]
  (at a terminal, the flags left out are asked for)
  npm run admin -- set-seats --org ORG_ID --seats N [--json]`;

/** What each flag must be, in the words the refusal uses. */
const flagRules: Record<string, { flag: string; rule: string }> = {
  name: { flag: '--name', rule: "the organisation's name, 1 to 100 characters" },
  seatLimit: { flag: '--seats', rule: 'a whole number of seats from 1 to 1000000 (members plus pending invites)' },
  ownerEmail: { flag: '--owner-email', rule: "the first owner's email address, e.g. owner@acme.example" },
  plan: { flag: '--plan', rule: 'a plan name of 1 to 40 characters' },
  orgId: { flag: '--org', rule: "the organisation's id, as create-org printed it" },
};

/** Refuses a bad command with one sentence per flag, naming the flag as typed. */
function checkFlags<T>(schema: TSchema, input: Record<string, unknown>): T {
  const errors = fieldErrors(schema, input);
  if (errors.length === 0) return input as T;
  const fields = [...new Set(errors.map((e) => e.path.split('/')[1] ?? ''))];
  const sentences = fields.map((field) => {
    const known = flagRules[field];
    if (!known) return `${field || 'input'}: ${errors.find((e) => e.path.split('/')[1] === field)?.message ?? 'is not valid'}`;
    return `${known.flag} ${input[field] === undefined ? 'is required' : 'is not valid'}: ${known.rule}.`;
  });
  throw new DomainError('VALIDATION_FAILED', { detail: sentences.join('\n') });
}

/** Asks at the terminal for what the flags left out; nothing is asked when input is piped. */
async function askForMissing(input: Record<string, unknown>): Promise<void> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return;
  const missing = (['name', 'seatLimit', 'ownerEmail'] as const).filter((field) => input[field] === undefined);
  if (missing.length === 0) return;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const questions = { name: 'Organisation name: ', seatLimit: 'Seats (members plus pending invites), e.g. 10: ', ownerEmail: "Owner's email: " };
  try {
    for (const field of missing) {
      const answer = (await prompt.question(questions[field])).trim();
      if (answer) input[field] = field === 'seatLimit' && /^\d+$/.test(answer) ? Number(answer) : answer;
    }
  } finally {
    prompt.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'create-org') return createOrgCommand(rest);
  if (command === 'set-seats') return setSeatsCommand(rest);
  process.stderr.write(`${command ? `Unknown command "${command}".\n` : ''}${usage}\n`);
  return 64;
}

async function createOrgCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      seats: { type: 'string' },
      'owner-email': { type: 'string' },
      plan: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const input: Record<string, unknown> = {};
  if (values.name !== undefined) input.name = values.name;
  if (values.seats !== undefined) input.seatLimit = /^\d+$/.test(values.seats) ? Number(values.seats) : values.seats;
  if (values['owner-email'] !== undefined) input.ownerEmail = values['owner-email'];
  if (values.plan !== undefined) input.plan = values.plan;
  await askForMissing(input);
  const request = checkFlags<CreateOrgRequest>(CreateOrgRequest, input);
  const config = loadInvitesConfig();
  const domain = await createDomain(config);
  try {
    await migrate(domain.orm);
    const reply = await createOrg(
      { domain, em: domain.orm.em.fork() as EntityManager, actor: { kind: 'operator' }, traceparent: undefined },
      request,
    );
    if (values.json || !process.stdout.isTTY) {
      process.stdout.write(
        `${JSON.stringify({ orgId: reply.orgId, ownerInvite: { id: reply.ownerInvite.invite.id, acceptUrl: reply.ownerInvite.acceptUrl } })}\n`,
      );
    } else {
      process.stdout.write(
        `Created "${request.name}" with ${request.seatLimit} seat${request.seatLimit === 1 ? '' : 's'} (org id ${reply.orgId}).\n` +
          `Its owner's invite goes to ${request.ownerEmail}${emailsKeptInDevMailbox(process.env) ? ` (kept in ${config.APP_BASE_URL}/dev/mailbox: nothing is sent in development without SMTP_URL)` : ''}; the same link is here:\n\n  ${reply.ownerInvite.acceptUrl}\n\n` +
          `Open it, create the owner's account, then sign in at ${config.APP_BASE_URL}/console\n`,
      );
    }
    return 0;
  } finally {
    await domain.orm.close();
  }
}

/** Runs `work` as the operator on a domain of its own, migrated first, and closes it. */
async function asOperator<T>(work: (ctx: Context) => Promise<T>): Promise<T> {
  const domain = await createDomain(loadInvitesConfig());
  try {
    await migrate(domain.orm);
    return await work({ domain, em: domain.orm.em.fork() as EntityManager, actor: { kind: 'operator' }, traceparent: undefined });
  } finally {
    await domain.orm.close();
  }
}

/**
 * `set-seats`: an organisation's seat limit, as its owner would set it (audited as the
 * operator, with its event), and never below the seats in use.
 */
async function setSeatsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { org: { type: 'string' }, seats: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const input: Record<string, unknown> = {};
  if (values.org !== undefined) input.orgId = values.org;
  if (values.seats !== undefined) input.seatLimit = /^\d+$/.test(values.seats) ? Number(values.seats) : values.seats;
  const request = checkFlags<UpdateOrgRequest>(UpdateOrgRequest, input);
  const org = await asOperator((ctx) => updateOrg(ctx, request));
  if (values.json || !process.stdout.isTTY) {
    process.stdout.write(`${JSON.stringify(org)}\n`);
  } else {
    const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
    process.stdout.write(
      `"${org.name}" has ${n(org.seatLimit, 'seat', 'seats')}: ${n(org.members, 'member', 'members')}, ` +
        `${n(org.pendingInvites, 'pending invite', 'pending invites')}, ${org.available} available.\n`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isDomainError(error)) {
      const fields = error.errors?.map((e) => `  ${e.path.replace(/^\//, '') || 'input'}: ${e.message}`).join('\n');
      process.stderr.write(`${error.detail}\n${fields ? `${fields}\n` : ''}${usage}\n`);
      process.exit(error.status >= 500 ? 1 : 65);
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
