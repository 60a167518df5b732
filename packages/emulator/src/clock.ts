/** Time source for every deadline and timestamp, so tests can substitute a controllable clock. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/**
 * Longest delay one host timer takes. Above 2^31 - 1 ms Node, Bun and Deno fire at once (Node warns
 * TimeoutOverflowWarning), so a 30-day attemptTimeout would expire immediately.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A timer of any length: delays beyond `maxChunk` are slept in chunks, re-armed against the absolute
 * due time so the chunks add no drift. Host timers are unref'd: timers must never keep a test process
 * or CLI alive on their own; the server socket does that.
 */
export function longTimeout(fn: () => void, ms: number, maxChunk = MAX_TIMER_MS): TimerHandle {
  const due = Date.now() + Math.max(0, ms);
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const left = due - Date.now();
    if (left > maxChunk) {
      handle = setTimeout(arm, maxChunk);
    } else {
      handle = setTimeout(fn, Math.max(0, left));
    }
    (handle as { unref?: () => void }).unref?.();
  };
  arm();
  return { cancel: () => clearTimeout(handle) };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => longTimeout(fn, Number.isFinite(ms) ? ms : MAX_TIMER_MS * 1000, MAX_TIMER_MS),
};
