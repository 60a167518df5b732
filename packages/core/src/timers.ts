/**
 * Timers that survive long durations. `setTimeout` stores its delay as a signed 32-bit integer: anything
 * from 2^31 ms (24.8 days) up fires at once with a TimeoutOverflowWarning, so an `attemptTimeout` of
 * "30 days" would end every task immediately. These helpers clamp each arm below that limit and re-arm
 * until the whole duration has passed.
 */

/** The longest delay one `setTimeout` accepts. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer that can be cancelled; `clear()` is idempotent. */
export interface LongTimer {
  clear(): void;
}

/** Calls `fn` once after `ms` (any finite length; negative or NaN means at once). */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  if (ms === Infinity) return { clear: () => undefined };
  const due = Date.now() + (Number.isFinite(ms) ? Math.max(0, ms) : 0);
  let handle: ReturnType<typeof setTimeout> | undefined;
  let cleared = false;
  const arm = (remaining: number) => {
    handle = setTimeout(
      () => {
        if (cleared) return;
        const left = due - Date.now();
        // The wall clock can lag the timer by a millisecond; re-arm only when a real chunk remains.
        if (left > 1) arm(left);
        else fn();
      },
      Math.min(MAX_TIMER_MS, remaining),
    );
  };
  arm(due - Date.now());
  return {
    clear() {
      cleared = true;
      if (handle !== undefined) clearTimeout(handle);
    },
  };
}

/** Calls `fn` every `ms`, with each period clamped below the 32-bit limit. */
export function setLongInterval(fn: () => void, ms: number): LongTimer {
  let current: LongTimer | undefined;
  let cleared = false;
  const next = () => {
    current = setLongTimeout(() => {
      if (cleared) return;
      next();
      fn();
    }, ms);
  };
  next();
  return {
    clear() {
      cleared = true;
      current?.clear();
    },
  };
}

/** `promise`, or a rejection once `ms` passed first; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!promise) return Promise.resolve(undefined);
  let timer: LongTimer | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setLongTimeout(() => reject(new Error(`not resolved within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => timer?.clear());
}
