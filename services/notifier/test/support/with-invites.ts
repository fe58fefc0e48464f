import type { NotifierApp } from '../../src/app.ts';
import { orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from '../../../invites/test/harness.ts';
import { notifierEnv, startTestNotifier } from './harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './smtp-mailbox.ts';

/** The real invites service and the notifier on one NATS prefix, its mail to a local SMTP server, and an org with its owner. */
export interface WithInvites {
  t: TestInvites;
  smtp: SmtpMailbox;
  app: NotifierApp;
  org: OrgWithOwner;
}

/** Starts both services on the prefix of `name`, the notifier sealing and linking as the invites service does. */
export async function startWithInvites(name: string, orgName: string): Promise<WithInvites> {
  const t = await startTestInvites(name, { LOG_LEVEL: 'error' });
  const smtp = await startSmtpMailbox();
  const { app } = await startTestNotifier(
    notifierEnv(name, {
      NATS_PREFIX: t.config.NATS_PREFIX,
      APP_BASE_URL: t.config.APP_BASE_URL,
      TOKEN_ENCRYPTION_KEY: t.config.TOKEN_ENCRYPTION_KEY,
      SMTP_URL: smtp.url,
      LOG_LEVEL: 'error',
    }),
  );
  const org = await orgWithOwner(t, 10, orgName);
  return { t, smtp, app, org };
}

/** Stops what `startWithInvites` started and deletes the prefix's streams and stores. */
export async function stopWithInvites({ t, smtp, app }: Partial<WithInvites>): Promise<void> {
  await app?.stop();
  await t?.close(); // deletes the prefix's streams
  if (t) {
    const { destroyStores } = await import('../../src/stores.ts');
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: t.config.NATS_URL });
    await destroyStores(nc, t.config.NATS_PREFIX);
    await nc.drain();
  }
  await smtp?.close();
}
