import { MikroORM, defineConfig, type EntityManager } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/transport-node';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { entities } from './entities.ts';
import { Migration20261125000000 } from './migrations/Migration20261125000000.ts';
import { Migration20261125010000 } from './migrations/Migration20261125010000.ts';
import { Migration20261201000000 } from './migrations/Migration20261201000000.ts';
import { Migration20261202000000 } from './migrations/Migration20261202000000.ts';
import { Migration20261206000000 } from './migrations/Migration20261206000000.ts';
import { Migration20261206010000 } from './migrations/Migration20261206010000.ts';
import { Migration20261210000000 } from './migrations/Migration20261210000000.ts';
import { Migration20261212000000 } from './migrations/Migration20261212000000.ts';
import { Migration20261213000000 } from './migrations/Migration20261213000000.ts';
import { Migration20261216000000 } from './migrations/Migration20261216000000.ts';
import { Migration20261216010000 } from './migrations/Migration20261216010000.ts';
import { Migration20261220000000 } from './migrations/Migration20261220000000.ts';
import { Migration20261221000000 } from './migrations/Migration20261221000000.ts';
import { Migration20261222000000 } from './migrations/Migration20261222000000.ts';

/** Migrations in the order they apply; a new one is appended here and committed. */
export const migrations = [
  { name: 'Migration20261125000000', class: Migration20261125000000 },
  { name: 'Migration20261125010000', class: Migration20261125010000 },
  { name: 'Migration20261201000000', class: Migration20261201000000 },
  { name: 'Migration20261202000000', class: Migration20261202000000 },
  { name: 'Migration20261206000000', class: Migration20261206000000 },
  { name: 'Migration20261206010000', class: Migration20261206010000 },
  { name: 'Migration20261210000000', class: Migration20261210000000 },
  { name: 'Migration20261212000000', class: Migration20261212000000 },
  { name: 'Migration20261213000000', class: Migration20261213000000 },
  { name: 'Migration20261216000000', class: Migration20261216000000 },
  { name: 'Migration20261216010000', class: Migration20261216010000 },
  { name: 'Migration20261220000000', class: Migration20261220000000 },
  { name: 'Migration20261221000000', class: Migration20261221000000 },
  { name: 'Migration20261222000000', class: Migration20261222000000 },
];

export interface OrmOptions {
  databaseUrl: string;
  poolMax?: number;
}

/**
 * The ORM over PostgreSQL, on a database that exists: it is created first when missing.
 * Never applies migrations by itself.
 */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  await ensureDatabase(options.databaseUrl);
  return MikroORM.init(
    defineConfig({
      clientUrl: options.databaseUrl,
      entities,
      debug: false,
      pool: { min: 0, max: options.poolMax ?? 10, idleTimeoutMillis: 30_000 },
      extensions: [Migrator],
      migrations: {
        tableName: 'schema_migrations',
        migrationsList: migrations,
        snapshot: false,
        snapshotOnMigrate: false,
        silent: true,
      },
    }),
  );
}

/**
 * Creates the database of `databaseUrl` when it does not exist, over a connection of
 * its own to the server's `postgres` database, before the ORM opens its pool: the
 * ORM's own way (switching its connection to the management database and back)
 * left a pool that could stall when other work ran at the same time. Replicas may
 * race to create it: the loser's "already exists" is success too.
 */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return; // It exists.
  } catch (error) {
    // Only 3D000 (invalid_catalog_name) means the database is missing. A server that
    // does not answer is the ORM's to report, as it would without this check.
    if ((error as { code?: string }).code !== '3D000') return;
  } finally {
    await probe.end().catch(() => {});
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  try {
    await admin.connect();
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  } catch (error) {
    // 42P04 duplicate_database; 23505 when the other CREATE DATABASE commits while this one runs.
    if (!['42P04', '23505'].includes(String((error as { code?: string }).code))) throw error;
  } finally {
    await admin.end().catch(() => {});
  }
}

/** Key of the advisory lock that serialises migrations across replicas and the migration Job. */
const migrationLock = 0x696e7669; // 'invi'

/**
 * Applies pending migrations; a no-op when the schema is current. Several replicas
 * starting at once (and the migration Job) take turns on an advisory lock, so only one
 * migrates and the others find nothing left to do.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  // A session lock needs one session: its own connection, not one borrowed from the pool.
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [migrationLock]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await lock.end();
  }
}

/** Readiness of a process of this service: NATS connected and flushed, PostgreSQL answering. */
export async function isReady(nc: NatsConnection, orm: MikroORM): Promise<boolean> {
  if (nc.isClosed()) return false;
  await (orm.em.fork() as EntityManager).execute('select 1');
  await nc.flush();
  return true;
}
