import { readFileSync } from 'node:fs';
import { TasklaneError } from '@tasklane/core';
import type { Redis } from 'ioredis';
import { RedisErrorCode } from './errors.ts';
import type { GroupKeys, RegistryKeys } from './keys.ts';

/**
 * The Lua files, each named `<name>-<number of KEYS>.lua` as BullMQ does, so the key count sits next to
 * the script it describes and cannot drift from a table elsewhere.
 */
const FILES = {
  tlAcquire: 'acquire-5',
  tlRelease: 'release-4',
  tlRenew: 'renew-1',
  tlCancel: 'cancel-4',
  tlPublish: 'publish-2',
  tlUnpublish: 'unpublish-2',
  tlFleet: 'fleet-1',
  tlGroupStatus: 'group-status-4',
} as const;

type CommandName = keyof typeof FILES;
type Raw = Redis & { [K in CommandName]: (...args: (string | number)[]) => Promise<unknown> };

let sources: Record<CommandName, string> | undefined;

function read(file: string): string {
  // Relative to this module: the same path works from src/ (Bun, Deno, vitest) and from dist/ (Node).
  const url = new URL(`../lua/${file}.lua`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (error) {
    throw new TasklaneError(
      RedisErrorCode.ScriptMissing,
      `cannot read Lua script ${url.href}; is the package's lua/ folder installed?`,
      { cause: error },
    );
  }
}

function scriptSources(): Record<CommandName, string> {
  if (sources) return sources;
  const prelude = read('_prelude');
  const out = {} as Record<CommandName, string>;
  for (const [name, file] of Object.entries(FILES) as [CommandName, string][])
    out[name] = `${prelude}\n${read(file)}`;
  sources = out;
  return out;
}

/** The number of KEYS a script takes, read from its file name. */
function keyCount(file: string): number {
  const n = Number(/-(\d+)$/.exec(file)?.[1]);
  if (!Number.isInteger(n)) throw new Error(`script file ${file} does not end in -<number of keys>`);
  return n;
}

export interface AcquireArgs {
  readonly waiterId: string;
  readonly instanceId: string;
  readonly leaseMs: number;
  readonly waiterTtlMs: number;
  /** Highest epoch this client has seen for the group: a lower one in Redis means lost state. */
  readonly floorEpoch: number;
  readonly fenceMs: number;
  readonly wakeTtlMs: number;
}

export interface AcquireReply {
  readonly granted: boolean;
  readonly epoch: number;
  /** PTTL of the lease or fence the caller waits behind; -1 when unknown. */
  readonly waitMs: number;
  readonly stateLost: boolean;
  /** Others queue for the lease (only meaningful when granted). */
  readonly contended: boolean;
  /** Redis' clock (ms) when the script ran: dates a later grant, whose wake-up carries Redis time. */
  readonly redisNow: number;
}

export interface GroupStatusReply {
  readonly owner: string | null;
  readonly instanceId: string | null;
  readonly epoch: number;
  readonly since: number;
  readonly pttl: number;
  readonly waiters: number;
  readonly lastEpoch: number;
  readonly fencePttl: number;
}

/**
 * Typed calls of the Tasklane Lua scripts: named arguments in, parsed replies out. ioredis sends
 * EVALSHA and falls back to EVAL once on NOSCRIPT, so after a Redis restart the scripts reload by
 * themselves.
 */
export class Scripts {
  readonly #r: Raw;

  constructor(redis: Redis) {
    const src = scriptSources();
    for (const [name, file] of Object.entries(FILES) as [CommandName, string][]) {
      if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function')
        redis.defineCommand(name, { numberOfKeys: keyCount(file), lua: src[name] });
    }
    this.#r = redis as Raw;
  }

  async acquire(k: GroupKeys, a: AcquireArgs): Promise<AcquireReply> {
    const [granted, epoch, waitMs, lost, contended, now] = (await this.#r.tlAcquire(
      k.lease,
      k.epoch,
      k.queue,
      k.waiters,
      k.fence,
      a.waiterId,
      a.instanceId,
      a.leaseMs,
      a.waiterTtlMs,
      a.floorEpoch,
      a.fenceMs,
      k.wakePrefix,
      a.wakeTtlMs,
    )) as number[];
    return {
      granted: granted === 1,
      epoch: epoch!,
      waitMs: waitMs!,
      stateLost: lost === 1,
      contended: contended === 1,
      redisNow: now!,
    };
  }

  /** Resolves with the epoch handed to the next waiter (0: nobody waited, or not ours any more). */
  async release(
    k: GroupKeys,
    a: { owner: string; wakeTtlMs: number; endWatch: boolean },
  ): Promise<{ released: boolean; handedEpoch: number }> {
    const [released, handed] = (await this.#r.tlRelease(
      k.lease,
      k.epoch,
      k.queue,
      k.waiters,
      a.owner,
      k.wakePrefix,
      a.wakeTtlMs,
      a.endWatch ? 1 : 0,
    )) as number[];
    return { released: released === 1, handedEpoch: handed! };
  }

  /** True when the lease was still the owner's and now lives `leaseMs` again. */
  async renew(k: GroupKeys, a: { owner: string; leaseMs: number }): Promise<boolean> {
    return (await this.#r.tlRenew(k.lease, a.owner, a.leaseMs)) === 1;
  }

  /** True when a lease granted to the waiter meanwhile was handed on. */
  async cancel(k: GroupKeys, a: { waiterId: string; wakeTtlMs: number }): Promise<boolean> {
    const handed = await this.#r.tlCancel(
      k.lease,
      k.epoch,
      k.queue,
      k.waiters,
      a.waiterId,
      k.wakePrefix,
      a.wakeTtlMs,
    );
    return handed === 1;
  }

  async publish(k: RegistryKeys, a: { instanceId: string; json: string; ttlMs: number }): Promise<void> {
    await this.#r.tlPublish(k.instancePrefix + a.instanceId, k.index, a.instanceId, a.json, a.ttlMs);
  }

  async unpublish(k: RegistryKeys, instanceId: string): Promise<void> {
    await this.#r.tlUnpublish(k.instancePrefix + instanceId, k.index, instanceId);
  }

  /** Every live registry entry as [instanceId, JSON state]. */
  async fleet(k: RegistryKeys): Promise<[string, string][]> {
    const flat = (await this.#r.tlFleet(k.index, k.instancePrefix)) as string[];
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
    return out;
  }

  async groupStatus(k: GroupKeys): Promise<GroupStatusReply> {
    const [owner, instanceId, epoch, since, pttl, waiters, lastEpoch, fencePttl] =
      (await this.#r.tlGroupStatus(k.lease, k.epoch, k.waiters, k.fence)) as [
        string | null,
        string | null,
        ...number[],
      ];
    return {
      owner,
      instanceId,
      epoch: epoch!,
      since: since!,
      pttl: pttl!,
      waiters: waiters!,
      lastEpoch: lastEpoch!,
      fencePttl: fencePttl!,
    };
  }
}
