/**
 * One lane per endpoint: at most `perEndpoint` attempts in flight to it and `buffer`
 * waiting, and at most `total` in flight across all lanes, handed out round-robin. A
 * slow or failing endpoint fills its own lane and nothing else: its backlog stays in
 * PostgreSQL (unclaimed) until its lane has room again.
 */
export interface LaneJob {
  deliveryId: string;
  endpointId: string;
}

export interface LaneOptions<J extends LaneJob> {
  perEndpoint: number;
  total: number;
  /** Jobs one lane may hold, waiting and in flight. */
  buffer: number;
  run(job: J): Promise<void>;
  /** Told when a lane has drained to half its buffer: it may take more. */
  onRoom?(endpointId: string): void;
}

interface Lane<J> {
  waiting: J[];
  active: number;
}

export function createLanes<J extends LaneJob>(options: LaneOptions<J>) {
  const lanes = new Map<string, Lane<J>>();
  /** Deliveries held here (waiting or in flight): their leases are ours to renew. */
  const held = new Set<string>();
  let active = 0;
  let idleWaiters: (() => void)[] = [];
  let turn = 0;

  function laneOf(endpointId: string): Lane<J> {
    let lane = lanes.get(endpointId);
    if (!lane) {
      lane = { waiting: [], active: 0 };
      lanes.set(endpointId, lane);
    }
    return lane;
  }

  function pump(): void {
    while (active < options.total) {
      const ready = [...lanes.entries()].filter(([, lane]) => lane.waiting.length > 0 && lane.active < options.perEndpoint);
      if (ready.length === 0) break;
      // Round-robin over the lanes that can start one, so a long lane does not go first every time.
      for (let i = 0; i < ready.length && active < options.total; i++) {
        const [, lane] = ready[(turn + i) % ready.length]!;
        start(lane, lane.waiting.shift()!);
      }
      turn += 1;
    }
  }

  function start(lane: Lane<J>, job: J): void {
    lane.active += 1;
    active += 1;
    void options
      .run(job)
      .catch(() => {})
      .finally(() => {
        lane.active -= 1;
        active -= 1;
        held.delete(job.deliveryId);
        if (lane.active === 0 && lane.waiting.length === 0) lanes.delete(job.endpointId);
        pump();
        if (lane.waiting.length + lane.active <= options.buffer / 2) options.onRoom?.(job.endpointId);
        if (active === 0 && held.size === 0) {
          for (const resolve of idleWaiters) resolve();
          idleWaiters = [];
        }
      });
  }

  return {
    /** Whether the endpoint's lane can take another job. */
    hasRoom(endpointId: string): boolean {
      const lane = lanes.get(endpointId);
      return !lane || lane.waiting.length + lane.active < options.buffer;
    },
    /** Endpoints whose lanes are full: nothing more is claimed for them. */
    fullEndpoints(): string[] {
      return [...lanes.entries()].filter(([, lane]) => lane.waiting.length + lane.active >= options.buffer).map(([id]) => id);
    },
    /** Room left in the lanes that hold something; an endpoint not listed has `buffer`. */
    rooms(): Record<string, number> {
      return Object.fromEntries([...lanes.entries()].map(([id, lane]) => [id, Math.max(0, options.buffer - lane.waiting.length - lane.active)]));
    },
    buffer: options.buffer,
    /** Queues a job; false (nothing queued) when its lane is full or it is held already. */
    offer(job: J): boolean {
      if (held.has(job.deliveryId) || !this.hasRoom(job.endpointId)) return false;
      held.add(job.deliveryId);
      laneOf(job.endpointId).waiting.push(job);
      pump();
      return true;
    },
    /** Takes back every job not started yet (a stop): their deliveries, to release. */
    drainWaiting(): string[] {
      const ids: string[] = [];
      for (const lane of lanes.values()) {
        for (const job of lane.waiting.splice(0)) {
          held.delete(job.deliveryId);
          ids.push(job.deliveryId);
        }
      }
      return ids;
    },
    heldIds(): string[] {
      return [...held];
    },
    stats(): { waiting: number; active: number; endpoints: number } {
      let waiting = 0;
      for (const lane of lanes.values()) waiting += lane.waiting.length;
      return { waiting, active, endpoints: lanes.size };
    },
    /** Resolves once nothing is in flight or waiting. */
    idle(): Promise<void> {
      if (active === 0 && held.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

export type Lanes<J extends LaneJob> = ReturnType<typeof createLanes<J>>;
