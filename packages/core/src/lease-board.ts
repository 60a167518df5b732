/**
 * The leases the lease thread keeps, in shared memory. The main thread writes a lease into a slot before
 * the handler runs and frees it when the handler ends, without waking the thread: a task that ends
 * before its first renewal is due costs no message at all. The thread scans the board on its own clock
 * and renews what is due, even while a handler blocks the main thread.
 *
 * Each slot has one state word, `generation << 2 | state`, changed only with compare-and-swap:
 * - Free → Active (main, after writing the slot's fields; the generation grows by one);
 * - Active → Renewing → Active (thread, around one renewal; main, around recording one it made itself);
 * - Active → Free (main: stopped with no renewal in flight);
 * - Renewing → Stopping (main: stopped during a renewal), then Stopping → Free (thread, once it answered).
 * The generation makes a CAS fail on a slot that was freed and taken again meanwhile.
 */

export const SlotState = { Free: 0, Active: 1, Renewing: 2, Stopping: 3 } as const;
export type SlotStateValue = (typeof SlotState)[keyof typeof SlotState];

/** Outcomes of the thread's renewals, readable by the main thread without waiting for its messages. */
export const SlotFlag = { Canceled: 1, Lost: 2, Expired: 4 } as const;

/**
 * A slot's lease is renewed at least this often when its interval is at least this long: the thread
 * scans the board at least this often, so a new lease with such an interval needs no wake-up message.
 */
export const SCAN_HORIZON_MS = 1000;

/**
 * Data Pipeline task ids are 1–2,048 characters (the model's `taskId`), ASCII in practice; a longer UTF-8
 * encoding does not fit, and that lease is kept on the main thread.
 */
const ID_BYTES = 2048;
/** Int32 words per slot: state, channel, intervalMs, leaseMs, id byte length, flags, renewal seqlock. */
const WORDS = 7;
const W_STATE = 0;
const W_CHANNEL = 1;
const W_INTERVAL = 2;
const W_LEASE = 3;
const W_ID_LENGTH = 4;
const W_FLAGS = 5;
const W_SEQ = 6;
/** Bytes before the slots: one Int32 word for the board itself ({@link LeaseBoard.sdkLoaded}), padded to 8. */
const HEADER_BYTES = 8;

/**
 * A clock both threads share: HR-Time's time origin plus `now()` reads the same monotonic clock in every
 * thread of a process (checked on Node, Bun and Deno), so times written by one thread mean the same in
 * the other.
 */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A lease as written into a slot. */
export interface SlotLease {
  readonly taskId: string;
  readonly channel: number;
  readonly intervalMs: number;
  readonly leaseMs: number;
  /** When the ack (the first renewal) was sent, on the {@link sharedNow} clock. */
  readonly renewedAt: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The shared slots, as either thread sees them (both wrap the same buffer). */
export class LeaseBoard {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly #words: Int32Array;
  /** Per slot: when the last successful renewal was sent ({@link sharedNow}). */
  readonly #renewedAt: Float64Array;
  readonly #ids: Uint8Array;
  readonly #header: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.capacity = Math.floor((buffer.byteLength - HEADER_BYTES) / (WORDS * 4 + 8 + ID_BYTES));
    const wordsBytes = this.capacity * WORDS * 4;
    this.#header = new Int32Array(buffer, 0, 1);
    this.#words = new Int32Array(buffer, HEADER_BYTES, this.capacity * WORDS);
    // Float64 views need 8-byte alignment: the word area is padded to it.
    const timesOffset = HEADER_BYTES + Math.ceil(wordsBytes / 8) * 8;
    this.#renewedAt = new Float64Array(buffer, timesOffset, this.capacity);
    this.#ids = new Uint8Array(buffer, timesOffset + this.capacity * 8, this.capacity * ID_BYTES);
  }

  static create(capacity: number): LeaseBoard {
    const bytes = HEADER_BYTES + Math.ceil((capacity * WORDS * 4) / 8) * 8 + capacity * (8 + ID_BYTES);
    return new LeaseBoard(new SharedArrayBuffer(bytes));
  }

  /**
   * Whether the thread has loaded its AWS SDK and renews from the board: until then the main thread
   * renews the leases it wrote (it can read this even while the thread's messages wait behind a handler).
   */
  sdkLoaded(): boolean {
    return Atomics.load(this.#header, 0) === 1;
  }

  markSdkLoaded(): void {
    Atomics.store(this.#header, 0, 1);
  }

  #word(slot: number, w: number): number {
    return slot * WORDS + w;
  }

  /** The state word of a slot: `generation << 2 | state`. */
  stateWord(slot: number): number {
    return Atomics.load(this.#words, this.#word(slot, W_STATE));
  }

  /**
   * Writes a lease into a free slot (searching from `from`) and activates it; returns [slot, generation],
   * or undefined when every slot is taken or the task id does not fit.
   */
  claim(lease: SlotLease, from = 0): [number, number] | undefined {
    for (let i = 0; i < this.capacity; i++) {
      const slot = (from + i) % this.capacity;
      const word = this.stateWord(slot);
      if ((word & 3) !== SlotState.Free) continue;
      const { read, written } = encoder.encodeInto(
        lease.taskId,
        this.#ids.subarray(slot * ID_BYTES, (slot + 1) * ID_BYTES),
      );
      if (read !== lease.taskId.length) return undefined;
      const words = this.#words;
      words[this.#word(slot, W_CHANNEL)] = lease.channel;
      words[this.#word(slot, W_INTERVAL)] = Math.min(lease.intervalMs, 2 ** 31 - 1);
      words[this.#word(slot, W_LEASE)] = Math.min(lease.leaseMs, 2 ** 31 - 1);
      words[this.#word(slot, W_ID_LENGTH)] = written;
      Atomics.store(words, this.#word(slot, W_FLAGS), 0);
      this.writeRenewedAt(slot, lease.renewedAt);
      const generation = ((word >>> 2) + 1) & 0x1fffffff;
      // Only the main thread moves a slot out of Free, so a plain store publishes it (seq-cst).
      Atomics.store(words, this.#word(slot, W_STATE), (generation << 2) | SlotState.Active);
      return [slot, generation];
    }
    return undefined;
  }

  /** Moves a slot of `generation` from one state to another; false if it was not in `from`. */
  transition(slot: number, generation: number, from: SlotStateValue, to: SlotStateValue): boolean {
    const expected = (generation << 2) | from;
    return (
      Atomics.compareExchange(this.#words, this.#word(slot, W_STATE), expected, (generation << 2) | to) ===
      expected
    );
  }

  flags(slot: number): number {
    return Atomics.load(this.#words, this.#word(slot, W_FLAGS));
  }

  addFlags(slot: number, flags: number): void {
    Atomics.or(this.#words, this.#word(slot, W_FLAGS), flags);
  }

  channel(slot: number): number {
    return this.#words[this.#word(slot, W_CHANNEL)]!;
  }

  intervalMs(slot: number): number {
    return this.#words[this.#word(slot, W_INTERVAL)]!;
  }

  leaseMs(slot: number): number {
    return this.#words[this.#word(slot, W_LEASE)]!;
  }

  taskId(slot: number): string {
    const start = slot * ID_BYTES;
    return decoder.decode(this.#ids.slice(start, start + this.#words[this.#word(slot, W_ID_LENGTH)]!));
  }

  /** Seqlock write: the other thread never reads half of a renewal time. */
  writeRenewedAt(slot: number, at: number): void {
    const seq = this.#word(slot, W_SEQ);
    Atomics.add(this.#words, seq, 1);
    this.#renewedAt[slot] = at;
    Atomics.add(this.#words, seq, 1);
  }

  /**
   * A renewal the main thread made for a slot of `generation` that it owns: recorded unless it is older
   * than the board's, or the thread is renewing the slot itself (whose answer then carries the time).
   * The slot is held in Renewing for the write, so the seqlock keeps one writer.
   */
  noteRenewal(slot: number, generation: number, at: number): boolean {
    if (!this.transition(slot, generation, SlotState.Active, SlotState.Renewing)) return false;
    if (at > this.renewedAt(slot)) this.writeRenewedAt(slot, at);
    this.transition(slot, generation, SlotState.Renewing, SlotState.Active);
    return true;
  }

  renewedAt(slot: number): number {
    const seq = this.#word(slot, W_SEQ);
    for (;;) {
      const before = Atomics.load(this.#words, seq);
      const at = this.#renewedAt[slot]!;
      if ((before & 1) === 0 && Atomics.load(this.#words, seq) === before) return at;
    }
  }
}
