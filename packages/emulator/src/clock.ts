/** Time source for every deadline and timestamp, so tests can substitute a controllable clock. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    // Timers must never keep a test process or CLI alive on their own; the server socket does that.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
