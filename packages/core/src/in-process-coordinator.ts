import type { Coordinator, PollPermit } from './coordinator.ts';

interface Waiter {
  resolve(permit: PollPermit): void;
}

/** One poll per group within this process; FIFO among the waiting loops. No fleet coordination. */
export class InProcessCoordinator implements Coordinator {
  readonly kind = 'in-process';
  readonly #held = new Map<string, number>();
  readonly #waiters = new Map<string, Waiter[]>();
  #epoch = 0;

  acquire(group: string, signal: AbortSignal): Promise<PollPermit> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (!this.#held.has(group)) return Promise.resolve(this.#grant(group));
    return new Promise<PollPermit>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (permit) => {
          signal.removeEventListener('abort', onAbort);
          resolve(permit);
        },
      };
      const onAbort = () => {
        const queue = this.#waiters.get(group) ?? [];
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const queue = this.#waiters.get(group);
      if (queue) queue.push(waiter);
      else this.#waiters.set(group, [waiter]);
    });
  }

  #grant(group: string): PollPermit {
    const epoch = ++this.#epoch;
    this.#held.set(group, epoch);
    let released = false;
    return {
      group,
      epoch,
      lost: false,
      release: () => {
        if (!released) {
          released = true;
          this.#handOff(group);
        }
        return Promise.resolve();
      },
    };
  }

  #handOff(group: string): void {
    this.#held.delete(group);
    const next = this.#waiters.get(group)?.shift();
    if (next) next.resolve(this.#grant(group));
  }

  isReady(): boolean {
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
