/**
 * Instances that take a group's lease in a loop, hold it for a short "poll" and release it, counting
 * grants and how many held it at once: the probe of the failover tests.
 */
import type { Coordinator } from '@tasklane/core';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LeaseWorkers {
  grants(): number;
  /** The most instances that held the lease at the same time (must stay 1). */
  maxHolders(): number;
  stop(): Promise<void>;
}

export function startLeaseWorkers(coordinators: readonly Coordinator[], group: string): LeaseWorkers {
  const stop = new AbortController();
  const holders = new Set<number>();
  let maxHolders = 0;
  let grants = 0;
  const worker = async (c: Coordinator, id: number) => {
    while (!stop.signal.aborted) {
      let permit;
      try {
        permit = await c.acquire(group, stop.signal);
      } catch {
        if (stop.signal.aborted) return;
        await delay(50);
        continue;
      }
      holders.add(id);
      maxHolders = Math.max(maxHolders, holders.size);
      grants++;
      await delay(20);
      holders.delete(id);
      await permit.release();
    }
  };
  const running = coordinators.map((c, i) => worker(c, i));
  return {
    grants: () => grants,
    maxHolders: () => maxHolders,
    stop: async () => {
      stop.abort();
      await Promise.allSettled(running);
    },
  };
}
