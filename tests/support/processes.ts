import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serviceEnvironment, serviceNodeFlags } from '../../scripts/service-process.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves when a line of output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a service as its own Node process, as `npm start` does, with `env` on top of this process's environment. */
export function startService(entry: string, env: Record<string, string>, args: string[] = []): ServiceProcess {
  const child = spawn(process.execPath, [...serviceNodeFlags, entry, ...args], {
    cwd: repoRoot,
    env: serviceEnvironment(repoRoot, { ...process.env, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            done();
            resolve(line);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${entry} did not print ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-4000)}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`${entry} exited before printing ${pattern}; output:\n${output.slice(-4000)}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Fills Node's compile cache for a service as the image build does
 * (deploy/docker/warm-compile-cache.mjs): its entry point started with a configuration
 * it refuses loads every module it imports and exits 78 before connecting to anything.
 * A service then started on these sources never loads the TypeScript transformer, so
 * what a measurement sees is the service's steady state, not the first start's 18 MB more.
 */
export async function warmCompileCache(entry: string, env: Record<string, string>): Promise<void> {
  const warm = startService(entry, { ...env, NATS_PREFIX: 'refused by the configuration check' });
  const code = warm.child.exitCode ?? (await new Promise<number | null>((resolve) => warm.child.once('exit', (exitCode) => resolve(exitCode))));
  if (code !== 78) throw new Error(`${entry} exited ${code} while warming the compile cache, expected 78 (configuration refused):\n${warm.output().slice(-2000)}`);
}

/** Runs a command to completion and returns its exit code and output. */
export function run(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A TCP port free on `host` (a loopback address) right now. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
