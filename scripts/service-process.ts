import { join } from 'node:path';

/**
 * How a service process is started wherever this repository starts one: `npm start`
 * (scripts/start.ts) and the tests and benchmarks that run the services as npm start
 * does (tests/support/processes.ts). The image sets the same in the Dockerfile.
 *
 * Measured with npm start on 2 cores, 64 keep-alive clients creating invites: with
 * V8's and glibc's defaults each service grew to 230-330 MB resident; with these
 * settings each held 130-150 MB (the busiest sample of a run reached 153 MB at
 * most), at the same throughput within the noise. About 50 MB of that is the node
 * binary's own code and data, which the three processes share.
 */
export const serviceNodeFlags = [
  // V8 lets each of the young generation's two semi-spaces grow to 32 MB (64 MB when,
  // as in Node, pointers are not compressed), and a busy service fills them. At 8 MB a
  // request's garbage still dies young; at 2 MB scavenges came so often that
  // throughput fell by a fifth.
  '--max-semi-space-size=8',
  // Beyond the cap, the heap limit sets how far V8 lets the old generation grow between
  // full collections: up to 4x the live heap with the default limit of a machine with
  // more than 2 GB of memory, 1.3x at 256 MB or less. A service's 40-50 MB of live
  // heap then peaks near 65 MB instead of 150 MB. 256 MB is five times that.
  '--max-old-space-size=256',
];

/** The environment of a service process: `env`, over these defaults. */
export function serviceEnvironment(root: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    // Type stripping loads Node's TypeScript transformer, about 18 MB resident, into
    // every process that meets a .ts file it has not stripped before. The compile cache
    // keeps each file's stripped and compiled code on disk, keyed by its content, so a
    // service started on sources it has run before never loads the transformer.
    NODE_COMPILE_CACHE: join(root, 'node_modules', '.cache', 'node-compile-cache'),
    // glibc gives every thread that contends for malloc an arena of its own (up to 8
    // per core) and keeps what each grew; V8's helper threads and libuv's pool grew
    // 15-20 MB of them per process. Four arenas held 5 MB less, no slower.
    MALLOC_ARENA_MAX: '4',
    // argon2 takes 19 MB per password hash from malloc. glibc serves a block that large
    // with its own mapping, returned when freed, until the first one is freed: then it
    // raises its threshold past 19 MB and serves the next ones from the arenas, which
    // keep what they grew. Four logins at once left the invites service 77 MB larger
    // for good. A fixed threshold keeps every such block a mapping of its own.
    MALLOC_MMAP_THRESHOLD_: '131072',
    ...env,
  };
}
