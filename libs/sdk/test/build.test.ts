import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Sdk from '../src/index.ts';

/**
 * The package as it would be published (scripts/build-sdk.ts): it stands alone, with
 * no dependency and no mention of the private contracts package, a TypeScript project
 * that has only it installed typechecks against its declarations (strictly, the
 * declarations included), and its JavaScript runs.
 */
const repository = resolve(import.meta.dirname, '../../..');
let workdir: string;
let packageDir: string;

beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), 'invite-sdk-'));
  packageDir = join(workdir, 'node_modules/@invite/sdk');
  const build = spawnSync(process.execPath, ['scripts/build-sdk.ts', '--out', packageDir], { cwd: repository, encoding: 'utf8' });
  expect(build.status, build.stderr + build.stdout).toBe(0);
}, 120_000);
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

describe('the published package', () => {
  it('has a manifest with exports and types, and no dependency', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: '@invite/sdk', type: 'module', types: './index.d.ts', exports: { '.': { types: './index.d.ts', default: './index.js' } } });
    expect(manifest).not.toHaveProperty('private');
    expect(manifest).not.toHaveProperty('dependencies');
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(readFileSync(join(packageDir, 'README.md'), 'utf8')).toContain('createInviteClient');
  });

  it('types a project that has nothing else installed', () => {
    const consumer = join(workdir, 'consumer.ts');
    writeFileSync(
      consumer,
      `import { createInviteClient, isProblem, ProblemError, type ErrorCode, type InviteView, type NewInvite } from '@invite/sdk';
const client = createInviteClient({ baseUrl: 'https://invites.example', timeoutMs: 5000, onTokens: (tokens) => console.log(tokens?.refreshToken) });
export async function example(orgId: string): Promise<string[]> {
  const invite: NewInvite = { email: 'ivy@example.com', role: 'member', channels: ['email'] };
  const created = await client.invites.create(orgId, invite, { idempotencyKey: 'key' });
  const emails: string[] = [created.acceptUrl];
  for await (const item of client.invites.listAll(orgId, { status: 'pending' })) emails.push(item.email, item.delivery.email.status);
  try {
    await client.orgs.update(orgId, { seatLimit: 3 });
  } catch (error) {
    if (isProblem(error, 'SEAT_LIMIT_BELOW_USAGE')) emails.push(error.detail, String(error.retryAfter), ...error.errors.map((e) => e.path));
    if (error instanceof ProblemError) {
      const code: ErrorCode = error.code;
      emails.push(code);
    }
  }
  const view: InviteView = await client.invites.get(orgId, created.invite.id);
  emails.push(view.status);
  // @ts-expect-error: not a role
  await client.invites.create(orgId, { email: 'x@example.com', role: 'superuser' });
  // @ts-expect-error: not a code of the catalogue
  isProblem(undefined, 'NO_SUCH_CODE');
  return emails;
}
`,
    );
    const program = ts.createProgram([consumer], {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts', 'lib.dom.asynciterable.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);
  });

  it('runs: a problem answer is thrown as a ProblemError with its code', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(409, { 'content-type': 'application/problem+json', 'x-request-id': 'r-1' });
      response.end(JSON.stringify({ type: 'urn:invite-platform:problem:seat-limit-reached', title: 'The organisation has no seat left', status: 409, detail: 'All 3 seats are taken', code: 'SEAT_LIMIT_REACHED' }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    try {
      const sdk = (await import(pathToFileURL(join(packageDir, 'index.js')).href)) as typeof Sdk;
      const client = sdk.createInviteClient({ baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
      const error = await client.invites.create('00000000-0000-4000-8000-000000000000', { email: 'ivy@example.com', role: 'member' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(sdk.ProblemError);
      expect(error).toMatchObject({ status: 409, code: 'SEAT_LIMIT_REACHED', detail: 'All 3 seats are taken', requestId: 'r-1' });
    } finally {
      server.close();
    }
  });
});
