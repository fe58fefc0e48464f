import { connect as netConnect } from 'node:net';
import type { TestProject } from 'vitest/node';

/**
 * Decides once per test run where PostgreSQL and NATS are:
 * 1. TEST_DATABASE_URL / TEST_NATS_URL when set (CI and development machines);
 * 2. otherwise the local defaults (127.0.0.1:5432 and :4222) when they accept connections;
 * 3. otherwise containers started with testcontainers (needs Docker).
 * Each test file then makes its own database and NATS prefix on these servers.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Server URL without a database name, e.g. postgres://postgres@127.0.0.1:5432 */
    postgresUrl: string;
    natsUrl: string;
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<unknown>)[] = [];
  let postgresUrl = process.env.TEST_DATABASE_URL;
  let natsUrl = process.env.TEST_NATS_URL;
  if (!postgresUrl && (await reachable('127.0.0.1', 5432))) postgresUrl = 'postgres://postgres@127.0.0.1:5432';
  if (!natsUrl && (await reachable('127.0.0.1', 4222))) natsUrl = 'nats://127.0.0.1:4222';
  if (!postgresUrl) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').withUsername('postgres').withPassword('postgres').start();
    stops.push(() => container.stop());
    postgresUrl = `postgres://postgres:postgres@${container.getHost()}:${container.getPort()}`;
  }
  if (!natsUrl) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('nats:2.11-alpine')
      .withCommand(['-js'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .start();
    stops.push(() => container.stop());
    natsUrl = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
  }
  const server = new URL(postgresUrl);
  server.pathname = '';
  project.provide('postgresUrl', server.toString().replace(/\/$/, ''));
  project.provide('natsUrl', natsUrl);
  return async () => {
    for (const stop of stops) await stop();
  };
}
