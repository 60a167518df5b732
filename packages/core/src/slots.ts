interface SlotWaiter {
  readonly group: string;
  resolve(ok: boolean): void;
}

/**
 * Task slots per group plus an optional process-wide cap. A loop reserves a slot *before* it asks to
 * poll, so an instance only ever polls when it can start what it receives (invariant 2).
 */
export class SlotPool {
  readonly #busy = new Map<string, number>();
  #total = 0;
  readonly #waiters: SlotWaiter[] = [];

  constructor(
    readonly perGroup: number,
    readonly processCap: number,
    private readonly onChange: (group: string, busy: number) => void = () => {},
  ) {}

  busy(group: string): number {
    return this.#busy.get(group) ?? 0;
  }

  get totalBusy(): number {
    return this.#total;
  }

  #free(group: string): boolean {
    return this.busy(group) < this.perGroup && this.#total < this.processCap;
  }

  #take(group: string): void {
    const busy = this.busy(group) + 1;
    this.#busy.set(group, busy);
    this.#total++;
    this.onChange(group, busy);
  }

  /** Reserves a slot of `group` if one is free now; false (nothing reserved) otherwise. */
  tryReserve(group: string): boolean {
    if (!this.#free(group)) return false;
    this.#take(group);
    return true;
  }

  /** Resolves true once a slot of `group` is reserved, or false if the signal aborted first. */
  reserve(group: string, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#free(group)) {
      this.#take(group);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: SlotWaiter = {
        group,
        resolve: (ok) => {
          signal.removeEventListener('abort', onAbort);
          resolve(ok);
        },
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  release(group: string): void {
    const busy = Math.max(0, this.busy(group) - 1);
    this.#busy.set(group, busy);
    this.#total = Math.max(0, this.#total - 1);
    this.onChange(group, busy);
    // With a process-wide cap a freed slot may belong to any group: wake the first waiter that fits.
    const index = this.#waiters.findIndex((w) => this.#free(w.group));
    if (index >= 0) {
      const [waiter] = this.#waiters.splice(index, 1);
      if (waiter) {
        this.#take(waiter.group);
        waiter.resolve(true);
      }
    }
  }
}
