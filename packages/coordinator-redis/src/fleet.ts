import { slotCounts, type InstanceState } from '@tasklane/core';
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

/**
 * An instance as the registry shows it, with its slot totals added up the way the /fleet pages count
 * them. `groups` stays as published (its `busy` includes the slot reserved for the poll).
 */
export interface FleetInstance extends InstanceState {
  /** Slots running a task: the same as `running`, kept for readers of the old field. */
  readonly busy: number;
  readonly running: number;
  /** Slots reserved for a poll in flight or waiting for the fleet's lease: no task runs in them. */
  readonly polling: number;
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

/** Counted by core's `slotCounts`, as the /fleet pages count. */
function toInstance(json: string): FleetInstance | undefined {
  try {
    const state = JSON.parse(json) as InstanceState;
    const { running, polling, free } = slotCounts(state);
    return { ...state, busy: running, running, polling, free };
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
