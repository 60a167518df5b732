import { startTestRedis, type TestRedis } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RedisCoordinator,
  groupKeys,
  readFleetStatus,
  RedisOptionError,
  type RedisCoordinatorOptions,
} from '../src/index.ts';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;

/** Retries an assertion until it holds (a loaded machine or a slower runtime takes longer). */
async function eventually(check: () => Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(25);
    }
  }
}

async function fleetGroup(group: string) {
  return (await readFleetStatus(raw, { keyPrefix: `it${n}:`, groups: [group] })).groups[0]!;
}

let redis: TestRedis;
let raw: Redis;
let n = 0;
const open: RedisCoordinator[] = [];

function coordinator(options: RedisCoordinatorOptions = {}): RedisCoordinator {
  const c = new RedisCoordinator({ url: redis.url, keyPrefix: `it${n}:`, ...options });
  open.push(c);
  return c;
}

beforeAll(async () => {
  // Owned, so the outage tests may stop and restart it.
  redis = await startTestRedis({ forceOwned: true });
  raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  raw.on('error', () => {}); // the outage tests stop Redis under it
  await raw.connect();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  n++;
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.dispose();
});

describe('RedisCoordinator', () => {
  it('rejects bad options with a coded error', () => {
    expect(() => new RedisCoordinator({ leaseMs: -1 })).toThrow(RedisOptionError);
    expect(() => new RedisCoordinator({ leaseMs: 1000, renewEveryMs: 1000 })).toThrow(/renewEveryMs/);
    expect(() => new RedisCoordinator({ keyPrefix: 'a{b}' })).toThrow(/braces/);
    expect(() => new RedisCoordinator({ url: 'http://x' })).toThrow(
      expect.objectContaining({ code: 'TL_REDIS_URL' }),
    );
  });

  it('uses hash-tagged keys under the prefix', () => {
    expect(groupKeys('tl:', 'wg-1')).toMatchObject({
      lease: 'tl:{wg-1}:lease',
      epoch: 'tl:{wg-1}:epoch',
      wakePrefix: 'tl:{wg-1}:wake:',
    });
  });

  it('recovers the lease of a crashed holder once it expires', async () => {
    const k = groupKeys(`it${n}:`, 'crash');
    // A holder that died without releasing: its lease is still there with 400 ms to live.
    await raw.hset(k.lease, 'owner', 'dead:1', 'instance', 'dead', 'epoch', '7', 'since', String(Date.now()));
    await raw.set(k.epoch, '7');
    await raw.pexpire(k.lease, 400);
    const b = coordinator({ leaseMs: 2000 });
    const t0 = Date.now();
    const permit = await b.acquire('crash', never());
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(1200);
    expect(permit.epoch).toBe(8);
    await permit.release();
  });

  it('detects, counts and reports a lease lost mid-poll without aborting anything', async () => {
    const lost: unknown[] = [];
    const a = coordinator({ leaseMs: 600, renewEveryMs: 100, onLeaseLost: (info) => lost.push(info) });
    const permit = await a.acquire('lost', never());
    await raw.del(groupKeys(`it${n}:`, 'lost').lease);
    await delay(300);
    expect(permit.lost).toBe(true);
    expect(a.stats().leaseLost).toBe(1);
    expect(lost).toEqual([{ group: 'lost', epoch: permit.epoch, reason: 'taken' }]);
    await expect(permit.release()).resolves.toBeUndefined();
    // The group is usable again.
    const next = await a.acquire('lost', never());
    expect(next.lost).toBe(false);
    await next.release();
  });

  it('renews the lease while a poll is in flight', async () => {
    // Short leases, but not so short that a loaded machine misses a renewal by scheduling alone.
    const a = coordinator({ leaseMs: 1000, renewEveryMs: 200 });
    const b = coordinator({ leaseMs: 1000, renewEveryMs: 200 });
    const permit = await a.acquire('renew', never());
    let bGot = false;
    const waiting = b.acquire('renew', never()).then((p) => {
      bGot = true;
      return p;
    });
    await delay(2500); // two and a half lease lifetimes
    expect(bGot).toBe(false);
    expect(permit.lost).toBe(false);
    await permit.release();
    await (await waiting).release();
  });

  it('keeps fleets with different key prefixes apart', async () => {
    const a = coordinator({ keyPrefix: `it${n}a:` });
    const b = coordinator({ keyPrefix: `it${n}b:` });
    const [p1, p2] = await Promise.all([a.acquire('same', never()), b.acquire('same', never())]);
    await Promise.all([p1.release(), p2.release()]);
  });

  it('publishes instances and answers the fleet query', async () => {
    const a = coordinator({ registryRefreshMs: 200, publishMinIntervalMs: 10 });
    const b = coordinator({ registryRefreshMs: 200, publishMinIntervalMs: 10 });
    await Promise.all([a.start(), b.start()]);
    const base = {
      hostname: 'h',
      runtime: 'node 20',
      version: '0.1.0',
      startedAt: 1,
      state: 'running',
      inFlight: [],
    };
    a.publishInstance({ ...base, instanceId: 'inst-a', groups: { wg: { slots: 2, busy: 1 } } });
    b.publishInstance({
      ...base,
      instanceId: 'inst-b',
      groups: { wg: { slots: 2, busy: 0 }, other: { slots: 1, busy: 0 } },
      inFlight: [{ taskId: 't1', attemptId: 'a1', group: 'wg', activityType: 'X', startedAt: 2 }],
    });
    await delay(100);
    const permit = await a.acquire('wg', never());
    const waiting = b.acquire('wg', never());
    await delay(50);
    const status = await readFleetStatus(redis.url, { keyPrefix: `it${n}:` });
    expect(status.instances.map((i) => i.instanceId).sort()).toEqual(['inst-a', 'inst-b']);
    const ia = status.instances.find((i) => i.instanceId === 'inst-a')!;
    // inst-a's taken slot runs no task: it is the slot reserved for a poll, not a busy one.
    expect(ia).toMatchObject({ running: 0, polling: 1, busy: 0, free: 1 });
    const ib = status.instances.find((i) => i.instanceId === 'inst-b')!;
    expect(ib.inFlight).toHaveLength(1);
    expect(ib).toMatchObject({ running: 1, polling: 0, free: 2 });
    const wg = status.groups.find((g) => g.group === 'wg')!;
    expect(wg.holder).toMatchObject({ instanceId: 'inst-a', epoch: permit.epoch });
    expect(wg.holder!.since).toBeGreaterThan(Date.now() - 5000);
    expect(wg.waiters).toBe(1);
    expect(status.groups.find((g) => g.group === 'other')).toMatchObject({ waiters: 0 });
    await permit.release();
    await (await waiting).release();
    // Leaving the fleet removes the entry at once.
    await a.close();
    const after = await readFleetStatus(raw, { keyPrefix: `it${n}:` });
    expect(after.instances.map((i) => i.instanceId)).toEqual(['inst-b']);
  });

  it('sends almost no commands while waiting idle behind a long poll', async () => {
    const a = coordinator({ leaseMs: 1500 });
    const b = coordinator({ leaseMs: 1500 });
    const permit = await a.acquire('idle', never());
    const waiting = b.acquire('idle', never());
    await delay(100);
    const before = { a: a.stats().commands, b: b.stats().commands };
    await delay(3000);
    const holder = a.stats().commands - before.a;
    const waiter = b.stats().commands - before.b;
    // Holder: one renew per 500 ms; waiter: one acquire + one BLPOP per lease lifetime.
    expect(holder).toBeLessThanOrEqual(7);
    expect(waiter).toBeLessThanOrEqual(6);
    await permit.release();
    await (await waiting).release();
  });

  it('fails closed while Redis is down and resumes by itself when it returns', async () => {
    const readiness: boolean[] = [];
    // Timing-sensitive: renewal on the main thread, so a renewal thread starting up adds no noise.
    const a = coordinator({
      leaseMs: 1000,
      commandTimeoutMs: 300,
      renewal: 'main',
      onReadyChange: (r) => readiness.push(r),
    });
    const b = coordinator({ leaseMs: 1000, commandTimeoutMs: 300, renewal: 'main' });
    await Promise.all([a.start(), b.start()]);
    expect(a.isReady()).toBe(true);
    const held = await a.acquire('outage', never());
    let bGot = 0;
    const waiting = b.acquire('outage', never()).then((p) => {
      bGot = Date.now();
      return p;
    });
    await delay(50);
    const stoppedAt = Date.now();
    await redis.stop();
    await delay(300);
    expect(a.isReady()).toBe(false);
    expect(b.isReady()).toBe(false);
    // While down, nobody gets a permit, not even for a group nobody held.
    const fresh = a.acquire('outage-free', never());
    let freshGot = false;
    void fresh.then(() => (freshGot = true));
    await held.release(); // must not throw while Redis is down
    await delay(500);
    expect(bGot).toBe(0);
    expect(freshGot).toBe(false);
    await redis.start();
    const permit = await waiting;
    // Redis came back empty; b may only poll once a's lease (renewed before the outage) would have expired.
    expect(bGot - stoppedAt).toBeGreaterThanOrEqual(900);
    expect(permit.epoch).toBeGreaterThan(held.epoch);
    await (await fresh).release();
    await permit.release();
    expect(a.isReady()).toBe(true);
    expect(readiness).toEqual([true, false, true]);
    expect(b.stats().stateLoss + a.stats().stateLoss).toBeGreaterThanOrEqual(1);
  });

  it('does not reuse a kept lease once the connection dropped (Redis may have lost it)', async () => {
    const a = coordinator({ leaseMs: 1000, commandTimeoutMs: 300, keepIdleMs: 60_000, renewal: 'main' });
    await a.start();
    const first = await a.acquire('dropped', never());
    await first.release(); // kept for the next poll
    const kept = a.stats().keptGrants;
    await redis.stop();
    await redis.start();
    await eventually(async () => expect(a.isReady()).toBe(true), 10_000);
    const next = await a.acquire('dropped', never());
    expect(a.stats().keptGrants).toBe(kept);
    // Redis came back empty: the group was fenced, and the epoch restored and moved on.
    expect(a.stats().stateLoss).toBe(1);
    expect(next.epoch).toBeGreaterThan(first.epoch);
    await next.release();
  });

  it('waits in acquire while Redis is unreachable at start, then proceeds', async () => {
    await redis.stop();
    const a = coordinator({ leaseMs: 1000, commandTimeoutMs: 300 });
    const t0 = Date.now();
    await a.start(); // resolves: fail closed, not fail the runner
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(a.isReady()).toBe(false);
    const pending = a.acquire('late', never());
    await delay(300);
    await redis.start();
    const permit = await pending;
    expect(a.isReady()).toBe(true);
    await permit.release();
  });

  it('leaves no registration behind when a waiting acquire is aborted', async () => {
    const a = coordinator();
    const b = coordinator();
    const held = await a.acquire('gone', never());
    const controllers = [new AbortController(), new AbortController()];
    const pending = controllers.map((c) => b.acquire('gone', c.signal).catch((e: unknown) => e));
    // One Redis waiter per group and coordinator.
    await eventually(async () => expect((await fleetGroup('gone')).waiters).toBe(1));
    for (const c of controllers) c.abort(new Error('bye'));
    await Promise.all(pending);
    expect((await fleetGroup('gone')).waiters).toBe(0);
    await held.release();
    // Nobody waits any more: the holder may keep the lease for keepIdleMs, then gives it back.
    await eventually(async () => expect((await fleetGroup('gone')).holder).toBeUndefined());
  });

  it('keeps the lease for its next poll while nobody waits, without a Redis command', async () => {
    const a = coordinator();
    await a.start();
    const first = await a.acquire('keep', never());
    await first.release();
    const before = a.stats();
    for (let i = 0; i < 50; i++) {
      const p = await a.acquire('keep', never());
      expect(p.epoch).toBe(first.epoch);
      expect(p.expiresAt).toBeGreaterThan(Date.now());
      await p.release();
    }
    const after = a.stats();
    expect(after.keptGrants - before.keptGrants).toBe(50);
    expect(after.commands - before.commands).toBeLessThanOrEqual(1); // at most one renewal
    // Left idle, the lease goes back to Redis after keepIdleMs.
    await eventually(async () => expect((await fleetGroup('keep')).holder).toBeUndefined());
  });

  it('hands a kept lease over as soon as another instance waits, and rotates while both ask', async () => {
    const a = coordinator({ keepIdleMs: 60_000 });
    const b = coordinator();
    await Promise.all([a.start(), b.start()]);
    await (await a.acquire('turns', never())).release();
    // a sits on the idle lease; b's arrival tells it to give the lease back at once.
    const t0 = performance.now();
    const pb = await b.acquire('turns', never());
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(b.stats().handOffs).toBe(1);
    // Contended, each release goes to the other instance (FIFO), never back to the releaser.
    const pa = a.acquire('turns', never());
    await delay(20);
    await pb.release();
    const next = await pa;
    expect(next.epoch).toBeGreaterThan(pb.epoch);
    await next.release();
  });

  it('lets a contended holder poll back-to-back for one turn, then hands the lease on', async () => {
    const turnMs = 300;
    const a = coordinator({ turnMs, renewal: 'main' });
    const b = coordinator({ renewal: 'main' });
    await Promise.all([a.start(), b.start()]);
    const first = await a.acquire('turn', never());
    const got = b.acquire('turn', never());
    let bHas = false;
    void got.then(() => (bHas = true));
    await first.release();
    const t0 = Date.now();
    let polls = 1;
    // Back-to-back polls (the next acquire right after each release), as a busy runner makes them.
    while (!bHas && Date.now() - t0 < 5000) {
      const p = await Promise.race([a.acquire('turn', never()), got.then(() => undefined)]);
      if (!p) break;
      polls++;
      await delay(5);
      await p.release();
    }
    const pb = await got;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(turnMs - 50);
    expect(Date.now() - t0).toBeLessThan(turnMs + 1000);
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(a.stats().keptGrants).toBe(polls - 1);
    expect(pb.epoch).toBeGreaterThan(first.epoch);
    await pb.release();
  });

  it('keeps a lease alive while the main thread is blocked for longer than the lease', async () => {
    const a = coordinator({ leaseMs: 1000 });
    await a.start();
    const permit = await a.acquire('blocked', never());
    await eventually(async () => expect(a.stats().renewalThread).toBe(true));
    // A CPU-bound handler: no timer and no socket read runs on this thread for 2.5 leases.
    const until = Date.now() + 2500;
    while (Date.now() < until);
    const g = await fleetGroup('blocked');
    expect(g.holder?.epoch).toBe(permit.epoch);
    expect(g.holder!.expiresInMs).toBeGreaterThan(0);
    expect(permit.lost).toBe(false);
    await permit.release();
  });

  it('stops renewing for a main thread that stays silent longer than any poll (pollTimeoutMs)', async () => {
    const a = coordinator({ leaseMs: 1000, pollTimeoutMs: 1500 });
    await a.start();
    const permit = await a.acquire('hung', never());
    await eventually(async () => expect(a.stats().renewalThread).toBe(true));
    // A hung thread: after pollTimeoutMs without a sign of life the lease is left to expire.
    const until = Date.now() + 4000;
    while (Date.now() < until);
    expect((await fleetGroup('hung')).holder).toBeUndefined();
    await permit.release();
  });

  it('rejects pending acquires on close', async () => {
    const a = coordinator();
    const b = coordinator();
    const held = await a.acquire('close', never());
    const pending = b.acquire('close', never());
    const second = b.acquire('close', never());
    const checks = [
      expect(pending).rejects.toMatchObject({ code: 'TL_REDIS_CLOSED' }),
      expect(second).rejects.toMatchObject({ code: 'TL_REDIS_CLOSED' }),
    ];
    await delay(30);
    const t0 = Date.now();
    await b.close();
    expect(Date.now() - t0).toBeLessThan(500);
    await Promise.all(checks);
    await held.release();
    expect(await fleetGroup('close')).toMatchObject({ waiters: 0 });
    await eventually(async () => expect((await fleetGroup('close')).holder).toBeUndefined());
  });
});
