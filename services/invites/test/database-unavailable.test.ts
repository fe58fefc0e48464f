import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DriverException } from '@mikro-orm/postgresql';
import { createOrm } from '../src/db/orm.ts';
import { isDatabaseUnavailable } from '../src/db/unavailable.ts';
import { freePort } from '../../../tests/support/processes.ts';

/**
 * Regression: with PostgreSQL stopped or restarting, every request was a 500 INTERNAL
 * (and logged as a bug) instead of a 503 with Retry-After that a client retries. The
 * chaos suite (tests/chaos/postgres-outage.test.ts) proves the 503 end to end; this
 * pins down which failures count as "unavailable".
 */
describe('isDatabaseUnavailable', () => {
  it('recognises a refused connection, from node-postgres and through the ORM', async () => {
    const port = await freePort();
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` });
    const refused = await client.connect().then(() => undefined, (error: unknown) => error);
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const orm = await createOrm({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/x`, poolMax: 1 });
    try {
      const viaOrm = await orm.em.fork().execute('select 1').then(() => undefined, (error: unknown) => error);
      expect(viaOrm).toBeDefined();
      expect(isDatabaseUnavailable(viaOrm)).toBe(true);
    } finally {
      await orm.close();
    }
  });

  it('recognises a server shutting down or in recovery, and a connection that died', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006']) {
      expect(isDatabaseUnavailable(new DriverException(Object.assign(new Error('terminating connection'), { code }))), code).toBe(true);
    }
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) }))).toBe(true);
  });

  it('leaves bugs and refused statements alone', () => {
    expect(isDatabaseUnavailable(new DriverException(Object.assign(new Error('syntax error'), { code: '42601' })))).toBe(false);
    expect(isDatabaseUnavailable(new DriverException(Object.assign(new Error('duplicate key'), { code: '23505' })))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
