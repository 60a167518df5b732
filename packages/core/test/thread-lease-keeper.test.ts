import { afterEach, describe, expect, it } from 'vitest';
import { LeaseBoard, SlotState, sharedNow } from '../src/lease-board.ts';
import type { LeaseTickerOptions } from '../src/lease-ticker.ts';
import { silentLogger } from '../src/logger.ts';
import type { RuntimePrimitives } from '../src/runtime.ts';
import { TaskAbort } from '../src/settle.ts';
import type { LeaseRenewalSpec, SourceTask } from '../src/source.ts';
import { ThreadLeaseKeeper, type LeaseHost } from '../src/thread-lease-keeper.ts';

const INTERVAL_MS = 40;
const spec: LeaseRenewalSpec = {
  kind: 'datapipeline',
  taskId: 't-1',
  region: 'us-east-1',
  requestTimeoutMs: 1000,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for `done` (timers run late on a loaded machine: no fixed sleeps for what must happen). */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) throw new Error('timed out waiting');
    await sleep(5);
  }
}

/** A host on a real board whose thread has not loaded its SDK until `load()` is called. */
function host() {
  const board = LeaseBoard.create(2);
  let loaded = false;
  const notes: number[] = [];
  const h: LeaseHost & { board: LeaseBoard; notes: number[]; load(): void } = {
    board,
    notes,
    load: () => {
      loaded = true;
      board.markSdkLoaded();
    },
    claim: (_keeper, s, o) =>
      board.claim({
        taskId: s.taskId,
        channel: 1,
        intervalMs: o.intervalMs,
        leaseMs: o.leaseMs,
        renewedAt: sharedNow(),
      }),
    release: (slot, generation) =>
      board.transition(slot, generation, SlotState.Active, SlotState.Free) ? 'free' : 'gone',
    read: (slot) => ({ flags: board.flags(slot), renewedAt: board.renewedAt(slot) }),
    forget: () => undefined,
    sdkLoaded: () => loaded && board.sdkLoaded(),
    noteRenewal: (slot, generation, at) => {
      notes.push(at);
      board.noteRenewal(slot, generation, at);
    },
  };
  return h;
}

function options(progress: () => Promise<{ canceled: boolean }>): LeaseTickerOptions & { abort: TaskAbort } {
  const received = {
    id: 't-1',
    progress,
    renewalSpec: () => Promise.resolve(spec),
  } as unknown as SourceTask;
  return {
    received,
    group: 'wg',
    intervalMs: INTERVAL_MS,
    leaseMs: 10 * INTERVAL_MS,
    runtime: { monotonicNow: () => performance.now() } as RuntimePrimitives,
    hooks: {},
    logger: silentLogger,
    abort: new TaskAbort(),
  };
}

let keeper: ThreadLeaseKeeper | undefined;
afterEach(async () => {
  await keeper?.stop();
  keeper = undefined;
});

describe('ThreadLeaseKeeper while the lease thread loads its SDK', () => {
  it('renews from the main thread and writes each renewal to the board, then leaves it to the thread', async () => {
    const h = host();
    let renewals = 0;
    const o = options(() => {
      renewals++;
      return Promise.resolve({ canceled: false });
    });
    keeper = new ThreadLeaseKeeper(h, o);
    const claimedAt = sharedNow();
    await keeper.start();
    await until(() => h.notes.length >= 2);
    expect(renewals).toBeGreaterThanOrEqual(2);
    // The thread, once it reads the board, counts its lease from the last of them, not from the ack.
    expect(h.board.renewedAt(0)).toBeGreaterThan(claimedAt + INTERVAL_MS);
    expect(await keeper.leaseLeftMs()).toBeGreaterThan(0);

    h.load();
    const before = renewals;
    await sleep(INTERVAL_MS * 4);
    // At most the renewal already under way when the SDK loaded: the thread renews from now on.
    expect(renewals - before).toBeLessThanOrEqual(1);
    expect(o.abort.reason).toBeUndefined();
  });

  it('does not expire the lease itself after this thread was blocked: the board decides', async () => {
    const h = host();
    const o = options(() => Promise.resolve({ canceled: false }));
    keeper = new ThreadLeaseKeeper(h, o);
    await keeper.start();
    // Blocked for longer than the lease while the thread (loaded meanwhile) renewed it on the board.
    h.load();
    const until = performance.now() + 12 * INTERVAL_MS;
    while (performance.now() < until) {
      h.board.noteRenewal(0, h.board.stateWord(0) >>> 2, sharedNow());
    }
    await sleep(INTERVAL_MS * 2);
    expect(o.abort.reason).toBeUndefined();
    expect(await keeper.leaseLeftMs()).toBeGreaterThan(0);
  });

  it('passes a cancel seen by a main-thread renewal on to the handler', async () => {
    const h = host();
    const o = options(() => Promise.resolve({ canceled: true }));
    keeper = new ThreadLeaseKeeper(h, o);
    await keeper.start();
    await until(() => o.abort.reason !== undefined);
    expect(o.abort.reason).toBe('canceled');
  });

  it('holds the handler back until the thread has loaded its SDK, for at most a lease', async () => {
    const h = host();
    const o = options(() => Promise.resolve({ canceled: false }));
    keeper = new ThreadLeaseKeeper(h, o);
    let started = false;
    const start = keeper.start().then(() => (started = true));
    await sleep(2 * INTERVAL_MS);
    expect(started, 'a handler could block this thread before the thread renews').toBe(false);
    h.load();
    await until(() => started);
    await start;
    // A thread that never loads holds the handler for one lease, renewed from here meanwhile.
    const slow = host();
    const other = new ThreadLeaseKeeper(
      slow,
      options(() => Promise.resolve({ canceled: false })),
    );
    const t0 = performance.now();
    await other.start();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(10 * INTERVAL_MS - 15);
    expect(slow.notes.length).toBeGreaterThanOrEqual(1);
    await other.stop();
  });

  it('renews nothing from here when the SDK is already loaded', async () => {
    const h = host();
    h.load();
    let renewals = 0;
    keeper = new ThreadLeaseKeeper(
      h,
      options(() => {
        renewals++;
        return Promise.resolve({ canceled: false });
      }),
    );
    await keeper.start();
    await sleep(INTERVAL_MS * 3);
    expect(renewals).toBe(0);
  });
});
