// Run once while the image is built, as the user the service runs as: fills
// NODE_COMPILE_CACHE with the type-stripped output and the compiled code of every module
// the service loads. A process that finds all of its .ts files in that cache never
// loads Node's TypeScript transformer (about 18 MB resident per process) and starts
// faster; the cache is read-only at run time.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const app = dirname(fileURLToPath(import.meta.url));
const service = process.env.SERVICE;
if (!process.env.NODE_COMPILE_CACHE || !service) {
  console.error('warm-compile-cache: NODE_COMPILE_CACHE and SERVICE must be set');
  process.exit(1);
}

// The entry point with a configuration it refuses: it loads everything it imports
// statically, then stops with exit code 78 before connecting to anything.
const entry = spawnSync(process.execPath, ['server.ts'], {
  cwd: app,
  env: { ...process.env, NATS_PREFIX: 'refused by the configuration check' },
  encoding: 'utf8',
});
if (entry.status !== 78) {
  console.error(`warm-compile-cache: server.ts exited with ${entry.status ?? entry.signal}, expected 78 (configuration refused)\n${entry.stderr}`);
  process.exit(1);
}

// What is imported later (a channel's provider, for one): every other module of the
// service and of libs/, none of which does anything when imported. Entry points do.
const entryPoints = new Set(['server.ts', 'admin.ts', 'migrate.ts']);
function* modules(dir) {
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) yield* modules(path);
    else if (item.name.endsWith('.ts') && !entryPoints.has(item.name)) yield path;
  }
}
// The webhook dispatcher runs the invites workspace's code.
const workspace = service === 'webhooks' ? 'invites' : service;
const roots = [join(app, 'services', workspace, 'src'), ...readdirSync(join(app, 'libs')).map((lib) => join(app, 'libs', lib, 'src'))];
for (const root of roots) for (const path of modules(root)) await import(pathToFileURL(path).href);
