import { Type } from 'typebox';
import { loadConfig } from '@invite/contracts';
import { InvitesEnv } from './config.ts';
import { createOrm, migrate } from './db/orm.ts';

/**
 * Applies pending migrations and exits: the Kubernetes migration Job runs this before
 * a rollout. Needs only the database; the service itself also migrates at start, under
 * the same advisory lock, so running both is safe.
 */
const config = loadConfig(Type.Pick(InvitesEnv, ['DATABASE_URL', 'DATABASE_POOL_MAX']));
const orm = await createOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
try {
  const applied = await migrate(orm);
  process.stdout.write(`${JSON.stringify({ applied })}\n`);
} finally {
  await orm.close();
}
