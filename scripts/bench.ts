import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: runs every benchmark, the services' own (`services/<name>/bench/*.bench.ts`)
 * and those of the whole system (`bench/*.bench.ts`), one after the other, each in its own
 * process, so that they do not compete for the machine. Each benchmark prints its own
 * table and writes artifacts/bench/<name>.json. Exits non-zero when any of them fails.
 *
 * `npm run bench -- WORD…` runs only the files whose path contains one of the words
 * (`npm run bench -- topology`, `npm run bench -- invites`).
 */
const root = fileURLToPath(new URL('..', import.meta.url));

const benchFiles = (dir: string) =>
  existsSync(`${root}${dir}`)
    ? readdirSync(`${root}${dir}`)
        .filter((file) => file.endsWith('.bench.ts'))
        .sort()
        .map((file) => `${dir}/${file}`)
    : [];

const filters = process.argv.slice(2);
const files = [
  ...readdirSync(`${root}services`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .flatMap((service) => benchFiles(`services/${service}/bench`)),
  // The whole system last, after the services' own figures, as before it existed.
  ...benchFiles('bench'),
].filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)));

if (files.length === 0) {
  process.stderr.write(
    filters.length
      ? `No benchmark path contains ${filters.map((w) => `"${w}"`).join(' or ')}.\n`
      : 'No benchmarks found (services/*/bench/*.bench.ts, bench/*.bench.ts).\n',
  );
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
