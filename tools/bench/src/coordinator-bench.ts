/**
 * Redis coordinator figures: hand-off gap between instances, Redis commands per task, commands per
 * second of an idle instance, and failover after an abandoned lease. All instances live in this process
 * (one RedisCoordinator each, own connections), so the gap includes one shared event loop.
 */
import { RedisCoordinator } from '@tasklane/coordinator-redis';
import { Redis } from 'ioredis';
import { setMaxListeners } from 'node:events';
import { percentile, round } from './stats.ts';

export interface CoordinatorBenchOptions {
  redisUrl: string;
  /** Instance counts to measure the hand-off gap with, e.g. [2, 4, 8]. */
  instances: number[];
  /** Permits granted per instance count. */
  rounds: number;
  /** Window for the idle rate. @default 10_000 */
  idleMs?: number;
  /** Lease used for the failover measurement. @default 3000 */
  failoverLeaseMs?: number;
}

export interface CoordinatorBenchResult {
  /** Gap in ms from `release()` on one instance to the next instance's acquire resolving. */
  handOff: Record<number, { p50: number; p99: number; max: number; samples: number }>;
  /** Client-issued Redis commands per task (INFO commandstats: EVALSHA/EVAL/BLPOP and the like). */
  commandsPerTask: number;
  /** The same from the coordinators' own counters (a cross-check of the server figure). */
  commandsPerTaskClientCount: number;
  /** Worst idle instance (lease holder in a long poll, or a waiter behind it), commands per second. */
  idleCommandsPerSec: number;
  idleDetail: { holderPerSec: number; waiterPerSec: number; windowMs: number };
  /** From the holder's connection dying (no release) to the next instance's acquire resolving. */
  failoverMs: number;
  failoverLeaseMs: number;
  /** Part of failoverMs after the abandoned lease actually expired: the detection latency. */
  failoverAfterExpiryMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Commands that only scripts run don't count: Redis 7 adds calls made inside Lua to commandstats. */
const CLIENT_COMMANDS =
  /^(evalsha|eval|evalsha_ro|eval_ro|blpop|brpop|script\|.*|info|ping|hello|client\|.*|auth|select|quit)$/;

export async function clientCommandCount(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m && CLIENT_COMMANDS.test(m[1]!)) total += Number(m[2]);
  }
  // The INFO that reads the stats counts itself.
  return total - 1;
}

async function handOffGaps(
  admin: Redis,
  url: string,
  prefix: string,
  count: number,
  rounds: number,
): Promise<{ gaps: number[]; grants: number; commands: number; serverCommands: number }> {
  const coordinators = Array.from(
    { length: count },
    // Simulated instances share this process: renewal on the main thread, as one thread per instance
    // would measure threads, not the coordinator (the fleet section runs real processes).
    // turnMs 0: every grant is a hand-off, so the percentiles rest on ~1000 of them (with turns a
    // busy holder hands on only once per turn, and p99 of a few dozen samples is just their maximum).
    () => new RedisCoordinator({ url, keyPrefix: prefix, leaseMs: 10_000, renewal: 'main', turnMs: 0 }),
  );
  await Promise.all(coordinators.map((c) => c.start()));
  const gaps: number[] = [];
  let grants = 0;
  let lastRelease: { at: number; by: number } | undefined;
  const stop = new AbortController();
  // Every instance's acquire listens on this one signal (8 instances: more than Node's warning level).
  setMaxListeners(4 * count, stop.signal);
  const group = `handoff-${count}`;
  // Warm up: scripts loaded, wait connections open.
  for (const c of coordinators) await (await c.acquire(group, stop.signal)).release();
  await sleep(20);
  const serverBefore = await clientCommandCount(admin);
  const before = coordinators.reduce((s, c) => s + c.stats().commands, 0);
  await Promise.all(
    coordinators.map(async (c, i) => {
      while (grants < rounds) {
        let permit;
        try {
          permit = await c.acquire(group, stop.signal);
        } catch {
          return;
        }
        const now = performance.now();
        if (lastRelease && lastRelease.by !== i) gaps.push(now - lastRelease.at);
        grants++;
        // The simulated poll answers after a moment, as a task-bearing poll would.
        await sleep(1);
        lastRelease = { at: performance.now(), by: i };
        void permit.release();
        if (grants >= rounds) stop.abort();
      }
    }),
  );
  await sleep(20); // the last releases were not awaited
  const serverCommands = (await clientCommandCount(admin)) - serverBefore;
  const commands = coordinators.reduce((s, c) => s + c.stats().commands, 0) - before;
  await Promise.all(coordinators.map((c) => c.close()));
  return { gaps, grants, commands, serverCommands };
}

async function idleRate(
  url: string,
  prefix: string,
  windowMs: number,
): Promise<CoordinatorBenchResult['idleDetail']> {
  // Main-thread renewal, so the coordinators' own counters see every renewal.
  const holder = new RedisCoordinator({ url, keyPrefix: prefix, renewal: 'main' });
  const waiter = new RedisCoordinator({ url, keyPrefix: prefix, renewal: 'main' });
  await Promise.all([holder.start(), waiter.start()]);
  const state = (id: string) => ({
    instanceId: id,
    hostname: 'bench',
    runtime: 'node',
    version: '0',
    startedAt: Date.now(),
    state: 'running',
    groups: { idle: { slots: 1, busy: 0 } },
    inFlight: [],
  });
  holder.publishInstance(state('idle-holder'));
  waiter.publishInstance(state('idle-waiter'));
  // The holder sits in a long poll (no work on the service); the waiter queues behind it.
  const permit = await holder.acquire('idle', new AbortController().signal);
  const stop = new AbortController();
  const waiting = waiter.acquire('idle', stop.signal).catch(() => undefined);
  await sleep(200);
  const h0 = holder.stats().commands;
  const w0 = waiter.stats().commands;
  await sleep(windowMs);
  const detail = {
    holderPerSec: round(((holder.stats().commands - h0) * 1000) / windowMs, 3),
    waiterPerSec: round(((waiter.stats().commands - w0) * 1000) / windowMs, 3),
    windowMs,
  };
  stop.abort();
  await waiting;
  await permit.release();
  await Promise.all([holder.close(), waiter.close()]);
  return detail;
}

async function failover(
  url: string,
  prefix: string,
  leaseMs: number,
  admin: Redis,
): Promise<{ failoverMs: number; afterExpiryMs: number }> {
  const name = `bench-victim-${process.pid}`;
  // The victim never reconnects once its connection is killed: like a process that died.
  const victim = new RedisCoordinator({
    url,
    keyPrefix: prefix,
    leaseMs,
    // Its death is simulated by killing its connections, so no renewal thread may outlive them.
    renewal: 'main',
    redis: { connectionName: name, retryStrategy: () => null },
  });
  const survivor = new RedisCoordinator({ url, keyPrefix: prefix, leaseMs });
  await Promise.all([victim.start(), survivor.start()]);
  await victim.acquire('failover', new AbortController().signal);
  const next = survivor.acquire('failover', new AbortController().signal);
  // Die at a random point of the renewal cycle, as a real crash would.
  await sleep(leaseMs / 3 + Math.random() * (leaseMs / 3));
  const list = await admin.client('LIST');
  const id = /id=(\d+) [^\n]*name=([^ ]+)/g;
  const ids = [...String(list).matchAll(id)].filter((m) => m[2] === name).map((m) => m[1]!);
  const pttl = await admin.pttl(`${prefix}{failover}:lease`);
  const killedAt = performance.now();
  for (const victimId of ids) await admin.client('KILL', 'ID', victimId);
  const permit = await next;
  const failoverMs = performance.now() - killedAt;
  await permit.release();
  await Promise.all([victim.close(), survivor.close()]);
  return { failoverMs, afterExpiryMs: failoverMs - Math.max(0, pttl) };
}

/** Runs every coordinator measurement against the Redis at `redisUrl` (keys under a fresh prefix). */
export async function benchCoordinator(opts: CoordinatorBenchOptions): Promise<CoordinatorBenchResult> {
  const prefix = `bench-${process.pid}-${Date.now()}:`;
  const admin = new Redis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  try {
    const handOff: CoordinatorBenchResult['handOff'] = {};
    let commands = 0;
    let clientCounted = 0;
    let grants = 0;
    for (const count of opts.instances) {
      const run = await handOffGaps(admin, opts.redisUrl, `${prefix}h${count}:`, count, opts.rounds);
      commands += run.serverCommands;
      clientCounted += run.commands;
      grants += run.grants;
      handOff[count] = {
        p50: round(percentile(run.gaps, 50), 3),
        p99: round(percentile(run.gaps, 99), 3),
        max: round(Math.max(...run.gaps), 3),
        samples: run.gaps.length,
      };
    }
    const idleDetail = await idleRate(opts.redisUrl, `${prefix}idle:`, opts.idleMs ?? 10_000);
    const failoverLeaseMs = opts.failoverLeaseMs ?? 3000;
    const fo = await failover(opts.redisUrl, `${prefix}fo:`, failoverLeaseMs, admin);
    return {
      handOff,
      commandsPerTask: round(commands / Math.max(1, grants), 2),
      commandsPerTaskClientCount: round(clientCounted / Math.max(1, grants), 2),
      idleCommandsPerSec: Math.max(idleDetail.holderPerSec, idleDetail.waiterPerSec),
      idleDetail,
      failoverMs: round(fo.failoverMs, 1),
      failoverLeaseMs,
      failoverAfterExpiryMs: round(fo.afterExpiryMs, 1),
    };
  } finally {
    admin.disconnect();
  }
}
