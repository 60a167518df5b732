import { LeaseBoard, SCAN_HORIZON_MS, SlotState, sharedNow } from './lease-board.ts';
import type { LeaseKeeper, LeaseTickerOptions } from './lease-ticker.ts';
import type { Logger } from './logger.ts';
import type { ThreadHandle } from './runtime.ts';
import type { LeaseRenewalSpec } from './source.ts';
import type { LeaseChannelSpec, ThreadReply, ThreadRequest } from './thread-messages.ts';
import { ThreadLeaseKeeper, type LeaseHost } from './thread-lease-keeper.ts';
import { setLongInterval, type LongTimer } from './timers.ts';

/** The lease thread's module, beside this one (`.ts` when run from source, `.js` from dist). */
export function leaseThreadUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './lease-thread.ts' : './lease-thread.js', here);
}

/** Credentials this close to expiry are re-resolved on the main thread and sent to the lease thread. */
const REFRESH_BEFORE_MS = 10 * 60_000;

interface Channel {
  readonly id: number;
  spec: LeaseChannelSpec;
  /** Re-resolves the spec (fresh credentials) through the latest task that used this channel. */
  refresh: () => Promise<LeaseRenewalSpec | undefined>;
}

function channelKey(spec: LeaseChannelSpec): string {
  const c = spec.credentials;
  return [
    spec.endpoint,
    spec.region,
    spec.requestTimeoutMs,
    c?.accessKeyId,
    c?.secretAccessKey,
    c?.sessionToken,
  ]
    .map(String)
    .join('\n');
}

/**
 * The runner's one lease thread, started by {@link warm} or by the first lease it is given, whichever
 * comes first; the thread loads its SDK with the first lease. Each attempt whose source can describe its
 * renewal gets a {@link ThreadLeaseKeeper}, which writes the lease to the shared board; the others, and all
 * of them if the thread cannot start or load, keep their leases on the main thread.
 */
export class LeaseThread implements LeaseHost {
  readonly #start: () => ThreadHandle;
  readonly #logger: Logger;
  readonly #capacity: number;
  readonly #keepers = new Map<number, ThreadLeaseKeeper>();
  readonly #channels = new Map<string, Channel>();
  #board: LeaseBoard | undefined;
  #handle: ThreadHandle | undefined;
  #refresh: LongTimer | undefined;
  #failed = false;
  #closed = false;
  #fullWarned = false;
  #nextSlot = 0;
  readonly #ready: Promise<boolean>;
  #settleReady: (ready: boolean) => void = () => undefined;

  /** `capacity`: the most leases kept at once (the runner's slots, with room for ones still stopping). */
  constructor(start: () => ThreadHandle, logger: Logger, capacity = 64) {
    this.#start = start;
    this.#logger = logger;
    this.#capacity = Math.max(1, capacity);
    this.#ready = new Promise((resolve) => (this.#settleReady = resolve));
  }

  /** A thread-backed keeper when the task can be renewed from the thread; undefined otherwise. */
  keeper(options: LeaseTickerOptions): LeaseKeeper | undefined {
    if (this.#failed || this.#closed || !options.received.renewalSpec) return undefined;
    return new ThreadLeaseKeeper(this, options);
  }

  /** Starts the thread now; resolves true once it runs (its SDK loads later), false if it cannot. */
  warm(): Promise<boolean> {
    this.#ensure();
    return this.#ready;
  }

  #ensure(): boolean {
    if (this.#failed || this.#closed) return false;
    if (this.#handle) return true;
    try {
      this.#board ??= LeaseBoard.create(this.#capacity);
      this.#handle = this.#open();
      this.#post({ type: 'init', board: this.#board.buffer });
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  #post(request: ThreadRequest): void {
    this.#handle?.postMessage(request);
  }

  /** Writes a keeper's lease to the board; undefined when it must be kept on the main thread. */
  claim(
    keeper: ThreadLeaseKeeper,
    spec: LeaseRenewalSpec,
    o: LeaseTickerOptions,
  ): [number, number] | undefined {
    if (!this.#ensure()) return undefined;
    const board = this.#board!;
    const channel = this.#channelFor(spec, o.received.renewalSpec!.bind(o.received));
    const ackedAt = o.ackSentAt ?? o.runtime.monotonicNow();
    const claimed = board.claim(
      {
        taskId: spec.taskId,
        channel,
        intervalMs: o.intervalMs,
        leaseMs: o.leaseMs,
        renewedAt: sharedNow() - (o.runtime.monotonicNow() - ackedAt),
      },
      this.#nextSlot,
    );
    if (!claimed) {
      if (!this.#fullWarned)
        this.#logger.warn(
          { capacity: board.capacity },
          'lease board full; keeping a lease on the main thread',
        );
      this.#fullWarned = true;
      return undefined;
    }
    this.#nextSlot = (claimed[0] + 1) % board.capacity;
    this.#keepers.set(claimed[0], keeper);
    // The thread scans at least every SCAN_HORIZON_MS; a shorter cadence needs it to look now.
    if (o.intervalMs < SCAN_HORIZON_MS) this.#post({ type: 'wake' });
    return claimed;
  }

  /** Frees a slot whose keeper stopped: 'free' at once, or 'stopping' when a renewal is in flight. */
  release(slot: number, generation: number): 'free' | 'stopping' | 'gone' {
    const board = this.#board!;
    if (board.transition(slot, generation, SlotState.Active, SlotState.Free)) return 'free';
    if (board.transition(slot, generation, SlotState.Renewing, SlotState.Stopping)) return 'stopping';
    return 'gone';
  }

  /** Flags and last renewal of a slot the caller still owns. */
  read(slot: number): { flags: number; renewedAt: number } {
    const board = this.#board!;
    return { flags: board.flags(slot), renewedAt: board.renewedAt(slot) };
  }

  sdkLoaded(): boolean {
    return this.#board?.sdkLoaded() ?? false;
  }

  noteRenewal(slot: number, generation: number, at: number): void {
    this.#board?.noteRenewal(slot, generation, at);
  }

  forget(slot: number, keeper: ThreadLeaseKeeper): void {
    if (this.#keepers.get(slot) === keeper) this.#keepers.delete(slot);
  }

  #channelFor(spec: LeaseRenewalSpec, refresh: Channel['refresh']): number {
    const { taskId: _taskId, ...channelSpec } = spec;
    const key = channelKey(channelSpec);
    let channel = this.#channels.get(key);
    if (!channel) {
      channel = { id: this.#channels.size + 1, spec: channelSpec, refresh };
      this.#channels.set(key, channel);
      this.#post({ type: 'channel', id: channel.id, spec: channelSpec });
      if (channelSpec.credentials?.expiration !== undefined)
        this.#refresh ??= setLongInterval(() => void this.#refreshCredentials(), 60_000);
    }
    channel.refresh = refresh;
    return channel.id;
  }

  /** Credentials near expiry are re-resolved here and sent to the thread under the same channel. */
  async #refreshCredentials(): Promise<void> {
    for (const [key, channel] of [...this.#channels]) {
      const expiration = channel.spec.credentials?.expiration;
      if (expiration === undefined || expiration - Date.now() > REFRESH_BEFORE_MS) continue;
      try {
        const fresh = await channel.refresh();
        if (!fresh) continue;
        const { taskId: _taskId, ...spec } = fresh;
        channel.spec = spec;
        this.#channels.set(channelKey(spec), channel);
        if (channelKey(spec) !== key) this.#channels.delete(key);
        this.#post({ type: 'channel', id: channel.id, spec });
      } catch (error) {
        this.#logger.warn({ err: error }, 'could not refresh the lease thread credentials');
      }
    }
  }

  #open(): ThreadHandle {
    const handle = this.#start();
    handle.onMessage((message) => {
      const reply = message as ThreadReply;
      if (reply.type === 'ready') {
        if (!this.#failed) this.#settleReady(true);
        return;
      }
      if (reply.type === 'failed') {
        this.#fail(new Error(reply.error));
        return;
      }
      this.#keepers.get(reply.slot)?.onReply(reply);
    });
    handle.onError((error) => this.#fail(error));
    return handle;
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#settleReady(false);
    this.#refresh?.clear();
    this.#logger.warn({ err: error }, 'lease thread failed; keeping leases on the main thread');
    this.#handle?.terminate();
    for (const keeper of [...this.#keepers.values()]) keeper.fallBack();
    this.#keepers.clear();
  }

  close(): void {
    this.#handle?.terminate();
    this.#handle = undefined;
    this.#refresh?.clear();
    this.#closed = true;
    this.#settleReady(false);
  }
}
