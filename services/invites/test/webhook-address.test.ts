import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { developmentSecrets } from '@invite/contracts';
import { checkWebhookUrl, refusedKind, type Resolve } from '../src/webhooks/address-policy.ts';
import { createWebhookSender } from '../src/webhooks/webhook.sender.ts';
import { loadInvitesConfig } from '../src/config.ts';
import { loadWebhooksConfig } from '../src/webhooks/webhooks.config.ts';

/** Where webhooks may go (SSRF): the address rules, the URL check, and the check at connection time. */

describe('refusedKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private (shared, carrier-grade NAT)'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved (benchmarking)'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback (IPv4-mapped)'],
    ['::ffff:7f00:1', 'loopback (IPv4-mapped)'],
    ['::ffff:10.0.0.1', 'private (IPv4-mapped)'],
    ['::ffff:169.254.169.254', 'link-local (IPv4-mapped)'],
    ['64:ff9b::7f00:1', 'loopback (NAT64)'],
    ['2002:a00:1::1', 'private (6to4)'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'private (unique local)'],
    ['fc00::1', 'private (unique local)'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved (documentation)'],
    ['::127.0.0.1', 'reserved'],
  ])('refuses %s (%s)', (address, kind) => {
    expect(refusedKind(address)).toBe(kind);
  });

  it.each(['1.1.1.1', '8.8.8.8', '93.184.216.34', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8'])('lets public %s through', (address) => {
    expect(refusedKind(address)).toBeUndefined();
  });
});

describe('checkWebhookUrl', () => {
  const strict = { allowPrivate: false };

  it.each([
    ['http://1.1.1.1/hook', 'must start with https://'],
    ['https://127.0.0.1/hook', '127.0.0.1 is a loopback address; webhooks go to public addresses only'],
    ['https://10.0.0.7:8443/hook', '10.0.0.7 is a private address; webhooks go to public addresses only'],
    ['https://[::1]/hook', '::1 is a loopback address; webhooks go to public addresses only'],
    ['https://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1 is a loopback (IPv4-mapped) address; webhooks go to public addresses only'],
    ['https://0x7f.1/hook', '127.0.0.1 is a loopback address; webhooks go to public addresses only'],
    ['https://2130706433/hook', '127.0.0.1 is a loopback address; webhooks go to public addresses only'],
    ['https://localhost/hook', 'localhost resolves to 127.0.0.1, a loopback address; webhooks go to public addresses only'],
    ['https://user:pass@1.1.1.1/hook', 'must not hold a user name or password; authenticate deliveries by their signature'],
    ['https://no-such-host.invalid/hook', 'names a host that does not resolve (no-such-host.invalid); use a name with public DNS records'],
  ])('refuses %s', async (url, problem) => {
    expect(await checkWebhookUrl(url, strict)).toBe(problem);
  });

  it('accepts a public address, and anything over http or https with the development setting', async () => {
    expect(await checkWebhookUrl('https://1.1.1.1/hook', strict)).toBeUndefined();
    expect(await checkWebhookUrl('http://127.0.0.1:8080/hook', { allowPrivate: true })).toBeUndefined();
    expect(await checkWebhookUrl('ftp://127.0.0.1/hook', { allowPrivate: true })).toBe('must start with https://');
  });

  it('refuses a name whose resolution does not answer in time', async () => {
    const silent: Resolve = () => new Promise(() => {});
    const started = Date.now();
    expect(await checkWebhookUrl('https://silent.example/hook', { allowPrivate: false, resolve: silent, resolveTimeoutMs: 200 })).toBe(
      'names a host that does not resolve (silent.example); use a name with public DNS records',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a name when any one of its addresses is private', async () => {
    const resolve: Resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: 'fd00::5', family: 6 },
    ];
    expect(await checkWebhookUrl('https://mixed.example/hook', { allowPrivate: false, resolve })).toBe('mixed.example resolves to fd00::5, a private (unique local) address; webhooks go to public addresses only');
  });
});

describe('the check at delivery time', () => {
  it('refuses a name that resolved to a public address at registration and to loopback now, without connecting', async () => {
    let connections = 0;
    const server = createServer((_request, response) => response.end('ok'));
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // DNS rebinding: the first answer is public, the next ones are the receiver's loopback address.
    let lookups = 0;
    const rebinding: Resolve = async () => (lookups++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    try {
      expect(await checkWebhookUrl(`https://hooks.rebind.example:${port}/in`, { allowPrivate: false, resolve: rebinding })).toBeUndefined();
      const sender = createWebhookSender({ allowPrivate: false, timeoutMs: 2000, socketsPerEndpoint: 1, resolve: rebinding });
      const secrets = ['whsec_' + Buffer.alloc(32, 1).toString('base64')];
      const byName = await sender.send({ endpointId: 'e1', url: `https://hooks.rebind.example:${port}/in`, secrets }, 'msg_1', '{}');
      expect(byName).toMatchObject({ ok: false, status: null, error: 'hooks.rebind.example resolves to 127.0.0.1, a loopback address; webhooks go to public addresses only' });
      const literal = await sender.send({ endpointId: 'e2', url: `https://[::ffff:127.0.0.1]:${port}/in`, secrets }, 'msg_2', '{}');
      expect(literal).toMatchObject({ ok: false, status: null, error: '::ffff:7f00:1 is a loopback (IPv4-mapped) address; webhooks go to public addresses only' });
      const plain = await sender.send({ endpointId: 'e3', url: `http://127.0.0.1:${port}/in`, secrets }, 'msg_3', '{}');
      expect(plain).toMatchObject({ ok: false, error: 'the URL must start with https://' });
      sender.close();
      expect(connections).toBe(0);

      // The development setting lets the same receiver be reached.
      const open = createWebhookSender({ allowPrivate: true, timeoutMs: 2000, socketsPerEndpoint: 1 });
      expect(await open.send({ endpointId: 'e4', url: `http://127.0.0.1:${port}/in`, secrets }, 'msg_4', '{}')).toMatchObject({ ok: true, status: 200, error: null });
      open.close();
      expect(connections).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('WEBHOOKS_ALLOW_PRIVATE', () => {
  const production = { NODE_ENV: 'production', JWT_PRIVATE_KEY: 'k', JWT_PUBLIC_KEY: 'k', TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'), WEBHOOKS_ALLOW_PRIVATE: 'true' };

  it('is refused by both processes when NODE_ENV=production', () => {
    expect(() => loadInvitesConfig(production)).toThrow(/WEBHOOKS_ALLOW_PRIVATE: must not be true when NODE_ENV=production/);
    expect(() => loadWebhooksConfig(production)).toThrow(/WEBHOOKS_ALLOW_PRIVATE: must not be true when NODE_ENV=production/);
    expect(loadWebhooksConfig({ ...production, WEBHOOKS_ALLOW_PRIVATE: 'false' }).WEBHOOKS_ALLOW_PRIVATE).toBe(false);
    expect(loadWebhooksConfig({ NODE_ENV: 'development', WEBHOOKS_ALLOW_PRIVATE: 'true' }).WEBHOOKS_ALLOW_PRIVATE).toBe(true);
    expect(loadWebhooksConfig({}).TOKEN_ENCRYPTION_KEY).toBe(developmentSecrets.TOKEN_ENCRYPTION_KEY);
  });
});
