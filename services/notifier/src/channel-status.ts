import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { Channel as ChannelName, ChannelsStatus, NatsNames } from '@invite/contracts';
import type { Channel } from './channels/channel.ts';

/**
 * Leaves the channels as configured at this start in the service-status bucket, for the
 * gateway's GET /v1/channels: the console then offers SMS only where it can be sent,
 * and says why not where it cannot.
 */
export async function publishChannelStatus(nc: NatsConnection, names: NatsNames, channels: Record<ChannelName, Channel>, replicas: number): Promise<void> {
  const kv = await new Kvm(nc).create(names.serviceStatus, { history: 1, replicas, description: 'What each service reports about itself to the others' });
  const of = (channel: Channel) => ({ available: channel.disabledReason === null, provider: channel.provider, reason: channel.disabledReason });
  const status: ChannelsStatus = { email: of(channels.email), sms: of(channels.sms), updatedAt: new Date().toISOString() };
  await kv.put('notifier.channels', JSON.stringify(status));
}
