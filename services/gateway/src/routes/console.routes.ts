import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';
import type { FastifyPluginAsync } from 'fastify';

const consoleDir = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * The console's policy. Its own script and style only; the API on the same origin;
 * organisation logos from any HTTPS host. `style-src-attr 'unsafe-inline'` is the one
 * relaxation: the email preview is a sandboxed `srcdoc` iframe, which inherits this
 * policy, and emails carry their styles in `style` attributes (mail clients drop
 * `<style>` blocks). Style attributes cannot run code, and the console itself sets no
 * markup from strings. `srcdoc` frames are not fetched, so no `frame-src` is needed.
 */
export const consoleCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' https: data:",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface Asset {
  body: Uint8Array;
  type: string;
}

/** Console bundles being built in this process. */
let building = 0;

/**
 * Bundles the console (console/main.ts and console/console.css) with esbuild, in
 * memory. Names carry a content hash, so assets are cached for good and the HTML,
 * never cached, always names the current ones: nothing is written to disk, nothing
 * can go stale, and `npm start` needs no build step.
 *
 * esbuild builds in a child process that it keeps alive for later calls (some 70 MB
 * resident); the gateway makes none, so the child is stopped once no build is under
 * way. A later build starts a new one.
 */
export async function bundleConsole(options: { minify: boolean }): Promise<{ html: string; assets: Map<string, Asset> }> {
  building += 1;
  let result;
  try {
    result = await build({
      absWorkingDir: consoleDir,
      entryPoints: { main: 'main.ts', console: 'console.css' },
      bundle: true,
      splitting: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      outdir: 'assets',
      entryNames: '[name]-[hash]',
      chunkNames: 'chunk-[hash]',
      minify: options.minify,
      sourcemap: options.minify ? false : 'linked',
      write: false,
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
    });
  } finally {
    building -= 1;
    if (building === 0) await stop();
  }
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    assets.set(basename(file.path), { body: file.contents, type: types[extname(file.path)] ?? 'application/octet-stream' });
  }
  const entry = (name: string) => {
    const output = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith(name));
    if (!output) throw new Error(`console bundle: no output for ${name}`);
    return `/console/assets/${basename(output[0])}`;
  };
  const template = await readFile(join(consoleDir, 'index.html'), 'utf8');
  const html = template.replace('{{script}}', entry('main.ts')).replace('{{style}}', entry('console.css'));
  return { html, assets };
}

/** The platform's icon: an envelope with a check mark, in the console's accent colour. */
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2456d6"/><path d="M6 10h20v13H6z" fill="none" stroke="#fff" stroke-width="2" stroke-linejoin="round"/><path d="M6 10l10 7 10-7" fill="none" stroke="#fff" stroke-width="2" stroke-linejoin="round"/></svg>`;

/** The admin console at /console: one HTML page, its bundle and its chunks; `/` leads to it. */
export const consoleRoutes: FastifyPluginAsync<{ minify?: boolean }> = async (app, options) => {
  const { html, assets } = await bundleConsole({ minify: options.minify ?? false });
  const common = {
    'referrer-policy': 'no-referrer',
    'content-security-policy': consoleCsp,
    'x-content-type-options': 'nosniff',
  };

  app.get('/console', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers({ ...common, 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' }).send(html),
  );

  // The site's root and icon: a browser opening the gateway's address lands in the console.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console', 302));
  app.get('/favicon.svg', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers({ 'cache-control': 'public, max-age=86400', 'content-type': 'image/svg+xml', 'x-content-type-options': 'nosniff' }).send(favicon),
  );
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/favicon.svg', 301));

  app.get<{ Params: { name: string } }>('/console/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return reply.callNotFound();
    return reply
      .headers({ ...common, 'cache-control': 'public, max-age=31536000, immutable', 'content-type': asset.type })
      .send(Buffer.from(asset.body));
  });
};
