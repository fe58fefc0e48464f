import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Memory and CPU of the processes a benchmark starts, read from /proc (Linux only).
 * A sampler runs for one phase: it keeps the largest RSS seen of each service and of
 * each of its descendants (the gateway's esbuild child, say), and the CPU time each
 * group of processes spent during the phase.
 */

/** Clock ticks per second of utime/stime in /proc/<pid>/stat; 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
  /** CPU of its children that exited and that it reaped (cutime + cstime). */
  reapedTicks: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process exited between listing /proc and reading it.
    return undefined;
  }
}

function readProc(pid: number): ProcEntry | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // comm sits in parentheses and may itself hold spaces or parentheses.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 of proc(5): state, ppid, …, utime (14), stime (15), cutime (16), cstime (17).
  const n = (field: number) => Number(fields[field - 3]);
  return { pid, ppid: n(4), comm: stat.slice(open + 1, close), ticks: n(14) + n(15), reapedTicks: n(16) + n(17) };
}

function listProcs(): Map<number, ProcEntry> {
  const procs = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProc(Number(name));
    if (entry) procs.set(entry.pid, entry);
  }
  return procs;
}

/** VmRSS of a process in bytes (0 once it has gone). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) * 1024 : 0;
}

function descendants(root: number, procs: Map<number, ProcEntry>): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const p of procs.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: ProcEntry[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readText('/proc/stat') ?? '').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export interface PhaseUsage {
  seconds: number;
  /** Largest RSS seen per service (its own process), per descendant (`<service> child <comm>`) and per service tree (`<service> total`). */
  maxRssBytes: Record<string, number>;
  /** CPU used per group of processes, in % of one core (200 % = both cores of a 2-core machine). */
  cpuPercent: Record<string, number>;
  /** Busy share of the whole machine, in % of all cores. */
  machineBusyPercent: number;
  /** CPU of the machine that no group above accounts for (other people's tests, the kernel), in % of one core. */
  restPercent: number;
}

export interface SamplerOptions {
  /** Services by name, each the root of a process tree. */
  services: Record<string, number>;
  /** Other processes named by us (the SMTP server, the load generator). */
  others: Record<string, number>;
  /** PostgreSQL backends whose command line names this database are reported apart. */
  database: string;
}

/**
 * Samples every `intervalMs` until `stop()`. CPU is per process: the ticks a process
 * accumulated since the first sample, or since its birth when it started later; a
 * process that exits mid-phase keeps what was last seen of it. PostgreSQL's parallel
 * workers live for one query, often between two samples: what the postmaster reaped
 * during the phase, less what was seen of the processes that ended, is reported as
 * `postgres (ended mid-phase)`.
 */
export function startSampler(options: SamplerOptions, intervalMs = 250): { stop(): PhaseUsage } {
  const started = performance.now();
  const machineStart = machineTicks();
  const firstTicks = new Map<number, number>();
  const lastTicks = new Map<number, { group: string; ticks: number }>();
  const maxRss: Record<string, number> = {};
  const postgresDb = new Map<number, boolean>();
  const postmasters = new Map<number, { first: number; last: number }>();
  let alive = new Set<number>();
  let first = true;

  const groupOf = (p: ProcEntry, owners: Map<number, string>): string | undefined => {
    const service = owners.get(p.pid);
    if (service) return service;
    for (const [name, pid] of Object.entries(options.others)) if (pid === p.pid) return name;
    if (p.comm === 'postgres') {
      // A backend's title names its database: "postgres: 15/main: user db 127.0.0.1(port) idle", "…: autovacuum worker db".
      if (!postgresDb.has(p.pid)) postgresDb.set(p.pid, (readText(`/proc/${p.pid}/cmdline`) ?? '').split(/[\s\0]+/).includes(options.database));
      return postgresDb.get(p.pid) ? 'postgres (bench db)' : 'postgres (other)';
    }
    if (p.comm === 'nats-server' || p.comm === 'pgbench') return p.comm;
    return undefined;
  };

  const tick = () => {
    const procs = listProcs();
    const owners = new Map<number, string>();
    for (const [service, root] of Object.entries(options.services)) {
      let total = rssBytes(root);
      owners.set(root, service);
      maxRss[service] = Math.max(maxRss[service] ?? 0, total);
      for (const child of descendants(root, procs)) {
        const label = `${service} child ${child.comm}`;
        const rss = rssBytes(child.pid);
        owners.set(child.pid, label);
        maxRss[label] = Math.max(maxRss[label] ?? 0, rss);
        total += rss;
      }
      maxRss[`${service} total`] = Math.max(maxRss[`${service} total`] ?? 0, total);
    }
    for (const p of procs.values()) {
      const group = groupOf(p, owners);
      if (!group) continue;
      if (!firstTicks.has(p.pid)) firstTicks.set(p.pid, first ? p.ticks : 0);
      lastTicks.set(p.pid, { group, ticks: p.ticks });
      if (p.comm === 'postgres' && procs.get(p.ppid)?.comm !== 'postgres') {
        postmasters.set(p.pid, { first: postmasters.get(p.pid)?.first ?? p.reapedTicks, last: p.reapedTicks });
      }
    }
    alive = new Set(procs.keys());
    first = false;
  };

  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      const seconds = (performance.now() - started) / 1000;
      const cpuPercent: Record<string, number> = {};
      for (const [pid, { group, ticks }] of lastTicks) {
        const used = (ticks - (firstTicks.get(pid) ?? ticks)) / TICKS_PER_SECOND;
        cpuPercent[group] = (cpuPercent[group] ?? 0) + (100 * used) / seconds;
      }
      let ended = 0;
      for (const { first: before, last } of postmasters.values()) ended += last - before;
      for (const [pid, { group, ticks }] of lastTicks) if (group.startsWith('postgres') && !alive.has(pid)) ended -= ticks;
      if (ended > 0) cpuPercent['postgres (ended mid-phase)'] = (100 * ended) / TICKS_PER_SECOND / seconds;
      const machineEnd = machineTicks();
      const machineBusyPercent = (100 * (machineEnd.busy - machineStart.busy)) / Math.max(1, machineEnd.total - machineStart.total);
      const attributed = Object.values(cpuPercent).reduce((a, b) => a + b, 0);
      const restPercent = Math.max(0, machineBusyPercent * availableParallelism() - attributed);
      return { seconds, maxRssBytes: maxRss, cpuPercent, machineBusyPercent, restPercent };
    },
  };
}

/** RSS of each service and its descendants right now (idle figures before the load). */
export function rssNow(services: Record<string, number>): Record<string, number> {
  const sampler = startSampler({ services, others: {}, database: '' }, 60_000);
  return sampler.stop().maxRssBytes;
}
