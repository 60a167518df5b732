/**
 * A waiter whose main thread is blocked (a CPU-bound handler in another of its slots) while the lease is
 * handed to it. Its BLPOP has already timed out in Redis, so the grant waits in its wake list while the
 * lease it names runs out unrenewed and another instance takes the group. When the waiter wakes it must
 * neither poll on that dead grant nor believe a grant it re-finds in Redis lives longer than it does:
 * either way two instances would poll the group at once (seen in a short chaos run with 100 ms turns).
 * A real redis-server, the waiter a child process on the built package, blocked by a busy loop.
 */
import { spawnGroup, startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { groupKeys, RedisCoordinator, type RedisPollPermit } from '../src/index.ts';
import { requireBuilt } from './fleet-process.ts';

const LEASE_MS = 2000;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;
const fixture = fileURLToPath(new URL('./fixtures/blocking-instance.mjs', import.meta.url));

let redis: TestRedis;
let raw: Redis;
let n = 0;
const procs: GroupProcess[] = [];
const open: RedisCoordinator[] = [];

beforeAll(async () => {
  requireBuilt();
  redis = await startTestRedis({ forceOwned: true });
  raw = new Redis(redis.url);
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop(3000)));
  await Promise.all(open.splice(0).map((c) => c.close()));
  n++;
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.dispose();
});

interface Line {
  event: string;
  at: number;
  epoch?: number;
  expiresAt?: number;
}

function lines(p: GroupProcess): Line[] {
  return p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

function spawnInstance(prefix: string, group: string, env: Record<string, string>): GroupProcess {
  // The child runs on the runtime under test (test:bun / test:deno run this file too).
  const args = 'Deno' in globalThis ? ['run', '-A', '--quiet', fixture] : [fixture];
  const p = spawnGroup(process.execPath, args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      REDIS_URL: redis.url,
      KEY_PREFIX: prefix,
      LEASE_MS: String(LEASE_MS),
      GROUP: group,
      ...env,
    },
  });
  procs.push(p);
  return p;
}

async function block(p: GroupProcess): Promise<number> {
  p.signal('SIGUSR2');
  return Number((await p.waitForOutput(/"event":"blocking","at":(\d+)/, 5000))[1]);
}

/** The test's own instance, queued for the group behind a child that holds it; `grantedAt` once it gets it. */
function waitingInstance(prefix: string, group: string) {
  const a = new RedisCoordinator({ url: redis.url, keyPrefix: prefix, leaseMs: LEASE_MS, renewal: 'main' });
  open.push(a);
  const waiting: { grantedAt?: number; permit: ReturnType<RedisCoordinator['acquire']> } = {
    permit: a.acquire(group, never()).then((p) => {
      waiting.grantedAt = Date.now();
      return p;
    }),
  };
  return waiting;
}

/**
 * The child blocks right after its grant (BLOCK_ON_GRANT) for two leases; this instance queues meanwhile
 * and must not get the lease: only a renewal thread that was up before the grant renews while it spins.
 */
async function keepsLeaseThroughBlock(h: GroupProcess, prefix: string, group: string, startMs: number) {
  const keys = groupKeys(prefix, group);
  await h.waitForOutput(/"event":"blocking"/, startMs);
  const ownerH = await raw.hget(keys.lease, 'owner');
  const waiting = waitingInstance(prefix, group);
  await h.waitForOutput(/"event":"unblocked"/, 10_000);
  expect(waiting.grantedAt, 'the lease expired while its holder was blocked').toBeUndefined();
  expect(await raw.hget(keys.lease, 'owner')).toBe(ownerH);
  await h.stop(3000);
  await (await waiting.permit).release();
}

/** The test's own instance holds the group; the child queues for it and then blocks on SIGUSR2. */
async function blockedWaiter(blockMs: number, renewal: 'thread' | 'main') {
  const prefix = `bw${n}:`;
  const group = 'wg';
  const keys = groupKeys(prefix, group);
  const a = new RedisCoordinator({ url: redis.url, keyPrefix: prefix, leaseMs: LEASE_MS, renewal: 'main' });
  open.push(a);
  const held = await a.acquire(group, never());
  const ownerA = await raw.hget(keys.lease, 'owner');
  const b = spawnInstance(prefix, group, { BLOCK_MS: String(blockMs), RENEWAL: renewal });
  const started = await b.waitForOutput(/"event":"started","runtime":"(\w+)"/, 20_000);
  expect(started[1], 'the child runs on the runtime under test').toBe(
    'Deno' in globalThis ? 'deno' : 'Bun' in globalThis ? 'bun' : 'node',
  );
  await until(async () => (await raw.zcard(keys.queue)) === 1, 5000, 'the child to queue');
  const blockedAt = await block(b);
  // Its BLPOP (at most the lease's life + 20 ms) times out in Redis while its thread spins.
  await until(
    async () => !/ flags=b /.test(String(await raw.client('LIST'))),
    LEASE_MS + 2000,
    'the blocked waiter’s BLPOP to time out',
  );
  return { a, held, ownerA, b, blockedAt, keys, group };
}

describe('a waiter blocked while the lease is handed to it', () => {
  it('does not poll on a grant whose lease ran out while it was blocked', async () => {
    const blockMs = 5300;
    const { a, held, ownerA, b, blockedAt, keys, group } = await blockedWaiter(blockMs, 'thread');
    // Handed over 3 s before the child wakes: its grant has expired (2 s lease), while the message that
    // carried it still sits in its wake list (which lives 2 leases).
    await delay(Math.max(0, blockedAt + blockMs - 3000 - Date.now()));
    await held.release();
    const ownerB = await raw.hget(keys.lease, 'owner');
    expect(ownerB).not.toBe(ownerA);
    // Nobody renews the child's grant: it expires, and this instance takes the group again.
    const again: RedisPollPermit = await a.acquire(group, never());
    expect(await raw.hget(keys.lease, 'owner')).not.toBe(ownerB);
    await b.waitForOutput(/"event":"unblocked"/, 10_000);
    await delay(1500);
    const early = lines(b).find((l) => l.event === 'granted');
    expect(early, 'the child took a permit while this instance held the lease').toBeUndefined();
    await again.release();
    const granted = JSON.parse(
      (await b.waitForOutput(/\{"event":"granted"[^\n]*\}/, LEASE_MS + 3000))[0],
    ) as Line;
    expect(granted.epoch).toBeGreaterThan(again.epoch);
  }, 40_000);

  it('does not claim more of a re-found grant than Redis has left of it', async () => {
    const blockMs = 4500;
    const { held, b, blockedAt, keys } = await blockedWaiter(blockMs, 'main');
    // Handed over 1.5 s before the child wakes: it finds itself the owner with about 0.5 s left.
    await delay(Math.max(0, blockedAt + blockMs - 1500 - Date.now()));
    await held.release();
    const granted = JSON.parse((await b.waitForOutput(/\{"event":"granted"[^\n]*\}/, 10_000))[0]) as Line;
    const pttl = await raw.pttl(keys.lease);
    const claimed = granted.expiresAt! - granted.at;
    expect(claimed, `the permit claims ${claimed} ms, Redis has ${pttl} ms`).toBeLessThanOrEqual(pttl + 100);
  }, 40_000);
});

describe('a lease holder blocked while its poll is open', () => {
  it('keeps its first lease alive when it blocks right after the grant', async () => {
    const prefix = `bf${n}:`;
    const h = spawnInstance(prefix, 'wg', { BLOCK_MS: String(2 * LEASE_MS), BLOCK_ON_GRANT: '1' });
    await keepsLeaseThroughBlock(h, prefix, 'wg', 20_000);
  }, 40_000);

  it('takes no permit while its renewal thread cannot come up, so a block right after the grant keeps it', async () => {
    const prefix = `bt${n}:`;
    // Redis takes one more client: the child's command connection, not its renewal thread's. A thread
    // slower than start()'s wait (seen with runners starting on busy cores) is the same to the child.
    await until(
      async () => /connected_clients:1\r?\n/.test(await raw.info('clients')),
      5000,
      'a quiet Redis',
    );
    const [, maxclients] = (await raw.config('GET', 'maxclients')) as [string, string];
    await raw.config('SET', 'maxclients', '2');
    let h: GroupProcess;
    try {
      h = spawnInstance(prefix, 'wg', { BLOCK_MS: String(2 * LEASE_MS), BLOCK_ON_GRANT: '1' });
      await h.waitForOutput(/"event":"started"/, 20_000);
      await delay(LEASE_MS);
      expect(String(await raw.client('LIST')), 'the thread is not connected').not.toMatch(
        /name=tasklane-renew/,
      );
      expect(h.output(), 'a permit granted before the renewal thread was up').not.toMatch(
        /"event":"granted"/,
      );
    } finally {
      await raw.config('SET', 'maxclients', maxclients);
    }
    await keepsLeaseThroughBlock(h, prefix, 'wg', 10_000);
  }, 40_000);

  it('does not hand the lease on when the renewal thread blinked during the block', async () => {
    const prefix = `bh${n}:`;
    const group = 'wg';
    const keys = groupKeys(prefix, group);
    const h = spawnInstance(prefix, group, { BLOCK_MS: '5000', COMMAND_TIMEOUT_MS: '300' });
    await h.waitForOutput(/"event":"granted"/, 20_000);
    // Renewed by its thread from now on (it holds the permit as an open poll would).
    await until(async () => (await raw.pttl(keys.lease)) > LEASE_MS - 400, 5000, 'a thread renewal');
    const waiting = waitingInstance(prefix, group);
    await until(async () => (await raw.zcard(keys.queue)) === 1, 5000, 'this instance to queue');
    await block(h);
    // Redis stalls for longer than the thread's command timeout: a renewal or two fail, later ones land
    // (a paused Redis expires no key meanwhile, so the lease is never free).
    await delay(500);
    await raw.client('PAUSE', 700, 'ALL');
    await h.waitForOutput(/"event":"unblocked"/, 10_000);
    await delay(1500);
    expect(
      waiting.grantedAt,
      'the lease went to another instance while the holder’s poll was open',
    ).toBeUndefined();
    await h.stop(3000);
    await (await waiting.permit).release();
  }, 40_000);
});
