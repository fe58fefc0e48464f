import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: runs every service's benchmarks (`services/<name>/bench/*.bench.ts`)
 * one after the other, each in its own process, so that they do not compete for the
 * machine. Each benchmark prints its own table and writes artifacts/bench/<name>.json.
 * Exits non-zero when any of them fails.
 */
const root = fileURLToPath(new URL('..', import.meta.url));

const files = readdirSync(`${root}services`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`${root}services/${entry.name}/bench`))
  .flatMap((service) =>
    readdirSync(`${root}services/${service.name}/bench`)
      .filter((file) => file.endsWith('.bench.ts'))
      .sort()
      .map((file) => `services/${service.name}/bench/${file}`),
  )
  .sort();

if (files.length === 0) {
  process.stderr.write('No benchmarks found (services/*/bench/*.bench.ts).\n');
  process.exit(1);
}

const failed: string[] = [];
for (const file of files) {
  process.stdout.write(`\n=== ${file}\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: root, env: process.env, stdio: 'inherit' });
    child.once('exit', (exitCode, signal) => resolve(signal ? 1 : (exitCode ?? 1)));
    child.once('error', () => resolve(1));
  });
  if (code !== 0) failed.push(file);
}

if (failed.length) {
  process.stderr.write(`\nBenchmarks failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
