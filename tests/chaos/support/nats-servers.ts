import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/processes.ts';

/**
 * nats-server processes of the suite's own, with JetStream stores under /tmp: one
 * server, or a cluster of three with routes between them, each on its own loopback
 * address. A node can be SIGKILLed and started again on the same store.
 */
const natsServerBin = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface NatsNode {
  name: string;
  host: string;
  port: number;
  url: string;
  monitorUrl: string;
  running(): boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  log(): string;
}

export interface NatsServers {
  nodes: NatsNode[];
  /** Every client URL, comma-separated, as NATS_URL takes them. */
  url: string;
  node(name: string): NatsNode;
  /** Waits until every running node says it is healthy (JetStream included). */
  healthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and deletes the stores. Safe to call more than once. */
  destroy(): Promise<void>;
}

async function waitHealthy(node: NatsNode, deadline: number): Promise<void> {
  for (;;) {
    const status = await fetch(`${node.monitorUrl}/healthz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (!node.running()) throw new Error(`nats-server ${node.name} exited; its log:\n${node.log()}`);
    if (Date.now() > deadline) throw new Error(`nats-server ${node.name} is not healthy; its log:\n${node.log()}`);
    await sleep(100);
  }
}

/** `hosts.length` servers (1, or 3 for a cluster), each on its own loopback address. */
export async function startNatsServers(hosts: string[]): Promise<NatsServers> {
  const root = mkdtempSync('/tmp/chaos-nats-');
  const clustered = hosts.length > 1;
  const specs: { name: string; host: string; port: number; monitor: number; route: number }[] = [];
  for (const [i, host] of hosts.entries()) {
    specs.push({ name: `n${i + 1}`, host, port: await freePort(host), monitor: await freePort(host), route: clustered ? await freePort(host) : 0 });
  }
  const children = new Map<string, ChildProcess>();
  let destroyed = false;

  const nodes: NatsNode[] = specs.map((spec) => {
    const dir = join(root, spec.name);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'server.conf');
    const logFile = join(dir, 'server.log');
    const routes = specs.filter((s) => s !== spec).map((s) => `"nats-route://${s.host}:${s.route}"`);
    writeFileSync(
      config,
      [
        `server_name: "${spec.name}"`,
        `listen: "${spec.host}:${spec.port}"`,
        `http: "${spec.host}:${spec.monitor}"`,
        `log_file: "${logFile}"`,
        `jetstream { store_dir: "${join(dir, 'store')}", max_memory_store: 256MB, max_file_store: 4GB }`,
        ...(clustered ? [`cluster { name: "chaos", listen: "${spec.host}:${spec.route}", routes: [${routes.join(', ')}] }`] : []),
      ].join('\n'),
    );
    const node: NatsNode = {
      name: spec.name,
      host: spec.host,
      port: spec.port,
      url: `nats://${spec.host}:${spec.port}`,
      monitorUrl: `http://${spec.host}:${spec.monitor}`,
      running() {
        const child = children.get(spec.name);
        return Boolean(child && child.exitCode === null && child.signalCode === null);
      },
      async start() {
        if (node.running()) return;
        const child = spawn(natsServerBin, ['-c', config], { stdio: 'ignore' });
        children.set(spec.name, child);
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', () => resolve());
          child.once('error', reject);
        });
      },
      async kill() {
        const child = children.get(spec.name);
        if (!child || !node.running()) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      },
      log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : ''),
    };
    return node;
  });

  const onExit = () => {
    for (const child of children.values()) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const servers: NatsServers = {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    node(name) {
      const found = nodes.find((n) => n.name === name);
      if (!found) throw new Error(`no nats node ${name}`);
      return found;
    },
    async healthy(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (const node of nodes) if (node.running()) await waitHealthy(node, deadline);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await Promise.all(nodes.map((n) => n.kill()));
      process.off('exit', onExit);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await servers.healthy();
  } catch (error) {
    await servers.destroy();
    throw error;
  }
  return servers;
}
