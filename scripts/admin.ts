import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run admin -- <command> …`: hands the command to the service that owns it, so
 * each service's operator CLI ships in its own image:
 *   create-org, set-seats → services/invites/src/admin.ts (PostgreSQL)
 *   dead-letters …        → services/notifier/src/admin.ts (NATS)
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const owners: Record<string, string> = {
  'create-org': 'services/invites/src/admin.ts',
  'set-seats': 'services/invites/src/admin.ts',
  'dead-letters': 'services/notifier/src/admin.ts',
};

const [command] = process.argv.slice(2);
const entry = command ? owners[command] : undefined;
if (!entry) {
  process.stderr.write(
    `${command ? `Unknown command "${command}".\n` : ''}Usage:\n` +
      '  npm run admin -- create-org --name NAME --seats N --owner-email EMAIL [--plan PLAN]\n' +
      '  npm run admin -- set-seats --org ORG_ID --seats N\n' +
      '  npm run admin -- dead-letters list\n' +
      '  npm run admin -- dead-letters replay (--id ID | --all)\n',
  );
  process.exit(64);
}
const child = spawn(process.execPath, [entry, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.once('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
