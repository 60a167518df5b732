import type { RunnerHooks } from './hooks.ts';
import type { Logger } from './logger.ts';
import type { RuntimePrimitives } from './runtime.ts';

/** What a {@link LagWatchdog} works with. */
export interface LagWatchdogOptions {
  readonly runtime: RuntimePrimitives;
  readonly hooks: RunnerHooks;
  readonly logger: Logger;
  /** How often the loop is probed. */
  readonly probeMs: number;
  /** Lag above which a warning is logged (at most one a minute). */
  readonly warnMs: number;
}

const WARN_EVERY_MS = 60_000;

/**
 * Measures how late the event loop runs a timer. A handler that blocks the thread delays every timer the
 * runner has (its progress ticker among them, unless a lease thread keeps leases), so the lag is reported
 * to `onEventLoopLag` at each probe and logged as a warning when it passes `warnMs`.
 */
export class LagWatchdog {
  readonly #o: LagWatchdogOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastWarn = -Infinity;
  #stopped = false;

  constructor(options: LagWatchdogOptions) {
    this.#o = options;
  }

  start(): void {
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    const expected = this.#o.runtime.monotonicNow() + this.#o.probeMs;
    this.#timer = setTimeout(() => {
      const now = this.#o.runtime.monotonicNow();
      this.#record(Math.max(0, now - expected), now);
      this.#arm();
    }, this.#o.probeMs);
    // A watchdog alone must not keep a process alive where timers can say so (Node, Bun).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #record(lagMs: number, now: number): void {
    this.#o.hooks.onEventLoopLag?.({ lagMs });
    if (lagMs < this.#o.warnMs || now - this.#lastWarn < WARN_EVERY_MS) return;
    this.#lastWarn = now;
    this.#o.logger.warn(
      { lagMs: Math.round(lagMs) },
      'event loop blocked: timers ran late (a handler doing synchronous work on the main thread?)',
    );
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
