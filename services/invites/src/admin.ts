import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CreateOrgRequest, isDomainError, parse } from '@invite/contracts';
import { createDomain } from './app.ts';
import { loadInvitesConfig } from './config.ts';
import { migrate } from './db/orm.ts';
import { createOrg } from './domain/org.commands.ts';

/**
 * Operator commands, run in-process against the database (the invites service need
 * not be running; its outbox relay publishes the resulting events when it is).
 * Prints one JSON object on stdout; errors go to stderr with a non-zero exit.
 */
const usage = `Usage:
  npm run admin -- create-org --name NAME --seats N --owner-email EMAIL [--plan PLAN]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'create-org') return createOrgCommand(rest);
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
    },
    strict: true,
  });
  const input: Record<string, unknown> = {};
  if (values.name !== undefined) input.name = values.name;
  if (values.seats !== undefined) input.seatLimit = /^\d+$/.test(values.seats) ? Number(values.seats) : values.seats;
  if (values['owner-email'] !== undefined) input.ownerEmail = values['owner-email'];
  if (values.plan !== undefined) input.plan = values.plan;
  const request = parse(CreateOrgRequest, input, 'The command');
  const domain = await createDomain(loadInvitesConfig());
  try {
    await migrate(domain.orm);
    const reply = await createOrg(
      { domain, em: domain.orm.em.fork() as EntityManager, actor: { kind: 'operator' }, traceparent: undefined },
      request,
    );
    process.stdout.write(
      `${JSON.stringify({ orgId: reply.orgId, ownerInvite: { id: reply.ownerInvite.invite.id, acceptUrl: reply.ownerInvite.acceptUrl } })}\n`,
    );
    return 0;
  } finally {
    await domain.orm.close();
  }
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
