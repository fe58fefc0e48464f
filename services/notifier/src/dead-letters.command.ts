import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { DomainError, natsNames, natsServers } from '@invite/contracts';
import { loadNotifierConfig } from './config.ts';
import { createDeadLetterStore, replayDeadLetters, summarize } from './dead-letters.ts';
import { createDeliveryLedger } from './idempotency/delivery-ledger.ts';
import { openStores } from './stores.ts';

export const deadLettersUsage = `  npm run admin -- dead-letters list
  npm run admin -- dead-letters replay (--id ID | --all)`;

/**
 * `npm run admin -- dead-letters list|replay`: runs against NATS with the notifier's
 * configuration (NATS_URL, NATS_PREFIX) and returns the JSON to print. The notifier
 * need not be running for `list`; a replay is delivered when it runs.
 */
export async function deadLettersCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'replay') {
    throw new DomainError('VALIDATION_FAILED', { detail: `Unknown dead-letters command "${sub ?? ''}"; use list or replay` });
  }
  const { values } = parseArgs({ args: rest, options: { id: { type: 'string' }, all: { type: 'boolean' } }, strict: true });
  if (sub === 'replay' && Boolean(values.id) === Boolean(values.all)) {
    throw new DomainError('VALIDATION_FAILED', { detail: 'dead-letters replay needs either --id ID or --all' });
  }
  const config = loadNotifierConfig(env);
  const nc = await connect({ servers: natsServers(config.NATS_URL), name: 'notifier-admin' });
  try {
    const stores = await openStores(nc, config.NATS_PREFIX, { bindOnly: true }).catch(() => null);
    // No buckets: the notifier never ran against this NATS and prefix, so nothing is dead.
    if (!stores) return sub === 'list' ? { deadLetters: [] } : { replayed: [], skipped: [] };
    const store = createDeadLetterStore(stores.deadLetters);
    if (sub === 'list') return { deadLetters: (await store.list()).map(summarize) };
    const ledger = createDeliveryLedger({ kv: stores.deliveries, leaseMs: config.NOTIFIER_SEND_TIMEOUT_MS + 2000 });
    const deps = { store, ledger, js: jetstream(nc), names: natsNames(config.NATS_PREFIX) };
    return await replayDeadLetters(deps, values.all ? { all: true } : { id: values.id! });
  } finally {
    await nc.drain();
  }
}
