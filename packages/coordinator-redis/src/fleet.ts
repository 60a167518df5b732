import type { InstanceState } from '@tasklane/core';
import type { Redis } from 'ioredis';
import { connectRedis } from './connect.ts';
import { groupKeys, registryKeys } from './keys.ts';
import { Scripts } from './scripts.ts';

/** Who holds a group's lease. */
export interface LeaseHolder {
  readonly instanceId: string;
  readonly epoch: number;
  /** Redis server time (ms since the epoch) when the lease was granted. */
  readonly since: number;
  readonly expiresInMs: number;
}

export interface GroupStatus {
  readonly group: string;
  /** Absent when nobody holds the lease. */
  readonly holder?: LeaseHolder;
  /** Instances queued for the lease (live registrations only). */
  readonly waiters: number;
  /** Last epoch handed out for the group. */
  readonly epoch: number;
  /** > 0 while the group is fenced after Redis lost its state (see README, "Outages"). */
  readonly fencedForMs: number;
}

/** An instance as the registry shows it, with its slot totals added up. */
export interface FleetInstance extends InstanceState {
  readonly busy: number;
  readonly free: number;
}

export interface FleetStatus {
  readonly groups: GroupStatus[];
  readonly instances: FleetInstance[];
}

export interface FleetQueryOptions {
  /** @default 'tl:' */
  keyPrefix?: string;
  /** Groups to report besides those the live instances announce. */
  groups?: readonly string[];
}

function toInstance(json: string): FleetInstance | undefined {
  try {
    const state = JSON.parse(json) as InstanceState;
    let busy = 0;
    let slots = 0;
    for (const g of Object.values(state.groups ?? {})) {
      busy += g.busy;
      slots += g.slots;
    }
    return { ...state, busy, free: Math.max(0, slots - busy) };
  } catch {
    return undefined;
  }
}

/**
 * Reads the fleet view `tasklane status` shows: every live instance (slots, in-flight tasks) and, per
 * worker group, the lease holder, since when, and the number of waiters. Takes an ioredis client (it
 * defines the Tasklane scripts on it) or a URL (a connection is opened and closed for the query).
 */
export async function readFleetStatus(
  redis: Redis | string,
  options: FleetQueryOptions = {},
): Promise<FleetStatus> {
  const prefix = options.keyPrefix ?? 'tl:';
  const own = typeof redis === 'string';
  const client = own
    ? connectRedis(redis, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 5000 })
    : redis;
  const scripts = new Scripts(client);
  try {
    const instances: FleetInstance[] = [];
    for (const [, json] of await scripts.fleet(registryKeys(prefix))) {
      const inst = toInstance(json);
      if (inst) instances.push(inst);
    }
    const names = new Set(options.groups ?? []);
    for (const inst of instances) for (const g of Object.keys(inst.groups ?? {})) names.add(g);
    const groups = await Promise.all(
      [...names].sort().map(async (group): Promise<GroupStatus> => {
        const s = await scripts.groupStatus(groupKeys(prefix, group));
        return {
          group,
          ...(s.owner
            ? {
                holder: {
                  instanceId: s.instanceId ?? '?',
                  epoch: s.epoch,
                  since: s.since,
                  expiresInMs: s.pttl,
                },
              }
            : {}),
          waiters: s.waiters,
          epoch: s.lastEpoch,
          fencedForMs: Math.max(0, s.fencePttl),
        };
      }),
    );
    return { groups, instances };
  } finally {
    if (own) client.disconnect();
  }
}
