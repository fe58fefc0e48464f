import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
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
];

export interface OrmOptions {
  databaseUrl: string;
  poolMax?: number;
}

/** The ORM over PostgreSQL; `migrate` creates the database when it is missing. Never applies migrations by itself. */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
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
 * Creates the database when it does not exist yet (the lock below needs it). Two
 * replicas may race to create it: the loser's "already exists" is success too.
 */
async function ensureDatabase(orm: MikroORM): Promise<void> {
  try {
    await orm.schema.ensureDatabase({ create: true });
  } catch (error) {
    // 42P04 duplicate_database; 23505 when the other CREATE DATABASE commits while this one runs.
    if (!['42P04', '23505'].includes(String((error as { code?: string }).code))) throw error;
  }
}

/** Key of the advisory lock that serialises migrations across replicas and the migration Job. */
const migrationLock = 0x696e7669; // 'invi'

/**
 * Creates the database if it is missing, then applies pending migrations; a no-op when the schema is current. Several replicas
 * starting at once (and the migration Job) take turns on an advisory lock, so only one
 * migrates and the others find nothing left to do.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  await ensureDatabase(orm);
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
