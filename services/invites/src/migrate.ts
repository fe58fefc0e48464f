import { Type } from 'typebox';
import { loadConfig } from '@invite/contracts';
import { createOrm, migrate } from './db/orm.ts';

/**
 * Applies pending migrations and exits: the Kubernetes migration Job runs this before
 * a rollout. Needs only the database; the service itself also migrates at start, under
 * the same advisory lock, so running both is safe.
 */
const config = loadConfig(
  Type.Object({
    DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/invites', pattern: '^postgres(ql)?://' }),
    DATABASE_POOL_MAX: Type.Integer({ default: 2, minimum: 1, maximum: 50 }),
  }),
);
const orm = await createOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
try {
  const applied = await migrate(orm);
  process.stdout.write(`${JSON.stringify({ applied })}\n`);
} finally {
  await orm.close();
}
