import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/processes.ts';

/**
 * A PostgreSQL cluster of the suite's own, so that stopping it never touches the
 * machine's shared server: initdb into a folder under /tmp, one loopback address and a
 * free port, its socket in that folder. initdb and postgres refuse to run as root, so
 * as root every command runs as the `postgres` OS user, who owns the folder.
 */
const execFileAsync = promisify(execFile);
const bin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Argument list that runs `command` as the postgres OS user when this process is root. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function pg(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = asPostgres(join(bin, command), args);
  const { stdout, stderr } = await execFileAsync(file, argv, { timeout: timeoutMs });
  return `${stdout}${stderr}`;
}

function ownerIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
}

export interface PostgresServer {
  host: string;
  port: number;
  /** Server URL without a database, e.g. postgres://postgres@127.0.0.2:40123 */
  url: string;
  /** Whether the postmaster runs (as far as this object knows). */
  running(): boolean;
  /** `pg_ctl stop -m immediate`: every backend is killed, nothing is flushed; the next start runs crash recovery. */
  stopImmediately(): Promise<void>;
  start(): Promise<void>;
  /** The server's log so far (the tail), for failure messages. */
  log(): string;
  /** Stops the server if it runs and deletes its folder. Safe to call more than once. */
  destroy(): Promise<void>;
}

export async function startPostgresServer(host = '127.0.0.2'): Promise<PostgresServer> {
  const root = mkdtempSync('/tmp/chaos-pg-');
  const data = join(root, 'data');
  const logFile = join(root, 'server.log');
  const ids = ownerIds();
  if (ids) chownSync(root, ids.uid, ids.gid);
  const port = await freePort(host);
  let up = false;
  let destroyed = false;

  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions']);
  const options = [
    `-c listen_addresses=${host}`,
    `-c port=${port}`,
    `-c unix_socket_directories=${root}`,
    '-c max_connections=200',
    '-c shared_buffers=64MB',
    // Crash recovery after an immediate stop replays WAL since the last checkpoint: keep it short.
    '-c checkpoint_timeout=30s',
    '-c log_min_messages=warning',
  ].join(' ');

  // If the test process dies without its afterAll, the server must not outlive it.
  const onExit = () => {
    if (up && !destroyed) {
      try {
        const [file, argv] = asPostgres(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate']);
        execFileSync(file, argv, { stdio: 'ignore', timeout: 10_000 });
      } catch {
        // already gone
      }
      rmSync(root, { recursive: true, force: true });
    }
  };
  process.once('exit', onExit);

  const server: PostgresServer = {
    host,
    port,
    url: `postgres://postgres@${host}:${port}`,
    running: () => up,
    async start() {
      await pg('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-o', options], 90_000);
      up = true;
    },
    async stopImmediately() {
      await pg('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']);
      up = false;
    },
    log() {
      return existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
    },
    async destroy() {
      if (destroyed) return;
      if (up || existsSync(join(data, 'postmaster.pid'))) {
        await pg('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']).catch(() => {});
        up = false;
      }
      destroyed = true;
      process.off('exit', onExit);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    const log = server.log();
    await server.destroy();
    throw new Error(`PostgreSQL did not start on ${host}:${port}: ${String(error)}\n${log}`, { cause: error });
  }
  return server;
}
