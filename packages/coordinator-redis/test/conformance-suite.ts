/**
 * The behaviour every Coordinator must show, as a reusable vitest suite. Lives under test/ so vitest
 * never becomes a runtime dependency of the package.
 */
import type { Coordinator, PollPermit } from '@tasklane/core';
import { afterEach, describe, expect, it } from 'vitest';

/** One test's world: `instances(n)` returns n coordinators that coordinate with each other. */
export interface ConformanceWorld {
  /** May return the same object n times (an in-process coordinator only coordinates itself). */
  instances(n: number): Promise<Coordinator[]>;
  dispose(): Promise<void>;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves true if the promise settles within ms. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

/**
 * Turn length for the suite's Redis instances: fairness is asserted over 150 quick grants, which a
 * default turn (100 ms) could give to one instance alone. Turns are a throughput policy with their own
 * test (redis-coordinator.test.ts) and bench (tools/bench overhead section).
 */
export const CONFORMANCE_TURN_MS = 20;

export function describeCoordinatorConformance(
  name: string,
  createWorld: () => Promise<ConformanceWorld>,
): void {
  describe(`Coordinator conformance: ${name}`, () => {
    let world: ConformanceWorld | undefined;
    const setup = async (n: number) => {
      world = await createWorld();
      const list = await world.instances(n);
      for (const c of new Set(list)) await c.start?.();
      return list;
    };
    afterEach(async () => {
      await world?.dispose();
      world = undefined;
    });

    it('is ready after start', async () => {
      const [a] = await setup(1);
      expect(a!.isReady()).toBe(true);
    });

    it('grants at most one permit per group at a time to many concurrent acquirers', async () => {
      const coordinators = await setup(4);
      let holders = 0;
      let maxHolders = 0;
      let grants = 0;
      const epochs: { epoch: number; by: Coordinator }[] = [];
      const loop = async (c: Coordinator) => {
        for (let i = 0; i < 12; i++) {
          const permit = await c.acquire('mx', new AbortController().signal);
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          grants++;
          epochs.push({ epoch: permit.epoch, by: c });
          await delay(Math.random() < 0.5 ? 0 : 1);
          holders--;
          await permit.release();
        }
      };
      await Promise.all(coordinators.flatMap((c) => [loop(c), loop(c), loop(c)]));
      expect(maxHolders).toBe(1);
      expect(grants).toBe(4 * 3 * 12);
      // Epochs are handed out in grant order: the sequence never decreases, and it increases whenever
      // the lease moves to another instance (an instance may keep it for its own next poll).
      for (let i = 1; i < epochs.length; i++) {
        const [prev, cur] = [epochs[i - 1]!, epochs[i]!];
        if (cur.by === prev.by) expect(cur.epoch).toBeGreaterThanOrEqual(prev.epoch);
        else expect(cur.epoch).toBeGreaterThan(prev.epoch);
      }
    });

    it('keeps groups independent', async () => {
      const [a, b] = await setup(2);
      const p1 = await a!.acquire('g1', new AbortController().signal);
      const p2 = await b!.acquire('g2', new AbortController().signal);
      expect(p1.group).toBe('g1');
      expect(p2.group).toBe('g2');
      await Promise.all([p1.release(), p2.release()]);
    });

    it('serves waiters in arrival order (FIFO)', async () => {
      const [a, b, c, d] = await setup(4);
      const first = await a!.acquire('fifo', new AbortController().signal);
      const order: string[] = [];
      const waiting: Promise<PollPermit>[] = [];
      for (const [label, coord] of [
        ['b', b!],
        ['c', c!],
        ['d', d!],
      ] as const) {
        waiting.push(
          coord.acquire('fifo', new AbortController().signal).then(async (p) => {
            order.push(label);
            await delay(5);
            await p.release();
            return p;
          }),
        );
        await delay(40); // let each waiter reach the queue before the next one arrives
      }
      await first.release();
      await Promise.all(waiting);
      expect(order).toEqual(['b', 'c', 'd']);
    });

    it('spreads permits fairly across instances that keep asking', async () => {
      const coordinators = await setup(3);
      const counts = [0, 0, 0];
      // Counted in grants, not in time: a loaded machine or a slower runtime only takes longer.
      const deadline = Date.now() + 20_000;
      const total = () => counts.reduce((s, v) => s + v, 0);
      await Promise.all(
        coordinators.map(async (c, i) => {
          while (total() < 150 && Date.now() < deadline) {
            const p = await c.acquire('fair', new AbortController().signal);
            counts[i]!++;
            await delay(1);
            await p.release();
          }
        }),
      );
      expect(total()).toBeGreaterThanOrEqual(150);
      for (const v of counts) expect(v / total()).toBeGreaterThan(0.2);
    });

    it('hands off fast when the holder releases', async () => {
      const [a, b] = await setup(2);
      const held = await a!.acquire('fast', new AbortController().signal);
      const next = b!.acquire('fast', new AbortController().signal);
      await delay(200);
      const t0 = performance.now();
      await held.release();
      const permit = await next;
      const gap = performance.now() - t0;
      // Far below any lease (5 s here): the waiter is handed the permit, it does not wait for expiry.
      // Generous, because other work shares the machine.
      expect(gap).toBeLessThan(1000);
      expect(permit.epoch).toBeGreaterThan(held.epoch);
      await permit.release();
    });

    it('rejects an aborted waiting acquire with the signal reason and does not leak its turn', async () => {
      const [a, b, c] = await setup(3);
      const held = await a!.acquire('abort', new AbortController().signal);
      const controller = new AbortController();
      const aborted = b!.acquire('abort', controller.signal);
      await delay(30);
      const reason = new Error('stop waiting');
      controller.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      const next = c!.acquire('abort', new AbortController().signal);
      await delay(30);
      await held.release();
      // The aborted waiter must not swallow the hand-off: the next one gets it promptly.
      expect(await settlesWithin(next, 500)).toBe(true);
      await (await next).release();
      // And the instance that aborted can still acquire afterwards.
      const again = await b!.acquire('abort', new AbortController().signal);
      await again.release();
    });

    it('rejects at once when the signal is already aborted', async () => {
      const [a] = await setup(1);
      const controller = new AbortController();
      controller.abort(new Error('already'));
      await expect(a!.acquire('pre', controller.signal)).rejects.toThrow('already');
    });

    it('treats release as idempotent: a second release does not free a successor', async () => {
      const [a, b, c] = await setup(3);
      const first = await a!.acquire('idem', new AbortController().signal);
      await first.release();
      const second = await b!.acquire('idem', new AbortController().signal);
      await expect(first.release()).resolves.toBeUndefined();
      const third = c!.acquire('idem', new AbortController().signal);
      expect(await settlesWithin(third, 150)).toBe(false);
      await second.release();
      await (await third).release();
    });

    it('increases the epoch with every grant', async () => {
      const [a, b] = await setup(2);
      let last = 0;
      for (let i = 0; i < 6; i++) {
        const p = await (i % 2 ? a! : b!).acquire('epoch', new AbortController().signal);
        expect(p.epoch).toBeGreaterThan(last);
        expect(p.lost).toBe(false);
        last = p.epoch;
        await p.release();
      }
    });
  });
}
