import { connect } from '@nats-io/transport-node';
import { describe, expect, it, inject } from 'vitest';
import { natsServers, serviceConnectionOptions } from '../src/client.ts';
import { freePort } from '../../../tests/support/processes.ts';

/**
 * Regression (chaos suite, issue 12): NATS_URL with a cluster's servers comma-separated
 * reached nats.js as one URL, of which it used only the last server: a service could not
 * start while that one node of the cluster was down.
 */
describe('NATS_URL with several servers', () => {
  it('is split into each server', () => {
    expect(natsServers('nats://a:4222, nats://b:4222,,nats://c:4222')).toEqual(['nats://a:4222', 'nats://b:4222', 'nats://c:4222']);
    expect(natsServers('nats://127.0.0.1:4222')).toEqual(['nats://127.0.0.1:4222']);
  });

  it('connects to a server that answers while another one does not', async () => {
    // Unsplit, nats.js took the last URL of the string only: this one, which is down.
    const down = `nats://127.0.0.1:${await freePort()}`;
    const nc = await connect({ ...serviceConnectionOptions(`${inject('natsUrl')},${down}`, 'contracts-test'), timeout: 5000 });
    try {
      expect(nc.isClosed()).toBe(false);
      await nc.flush();
    } finally {
      await nc.close();
    }
  });
});
