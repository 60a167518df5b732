import type { InstanceState, Logger } from '@tasklane/core';
import type { RegistryKeys } from './keys.ts';
import type { Scripts } from './scripts.ts';

export interface RegistryOptions {
  readonly keys: RegistryKeys;
  readonly ttlMs: number;
  readonly refreshMs: number;
  readonly minIntervalMs: number;
  readonly logger: Logger;
  readonly isReady: () => boolean;
  readonly onCommand: () => void;
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/**
 * Keeps this instance's entry in the fleet registry: writes on change at most once per `minIntervalMs`
 * (slot counts change with every task), and otherwise only refreshes the TTL every `refreshMs`, which
 * keeps an idle instance well under one Redis command per second.
 */
export class InstanceRegistry {
  readonly #client: Scripts;
  readonly #o: RegistryOptions;
  #state: InstanceState | undefined;
  #lastWrite = 0;
  #pending: ReturnType<typeof setTimeout> | undefined;
  #refresh: ReturnType<typeof setInterval> | undefined;
  #writing = false;
  #stopped = false;

  constructor(client: Scripts, options: RegistryOptions) {
    this.#client = client;
    this.#o = options;
  }

  get instanceId(): string | undefined {
    return this.#state?.instanceId;
  }

  start(): void {
    if (this.#refresh || this.#stopped) return;
    this.#refresh = setInterval(() => {
      if (Date.now() - this.#lastWrite >= this.#o.refreshMs - 50) void this.#write();
    }, this.#o.refreshMs);
    unref(this.#refresh);
  }

  publish(state: InstanceState): void {
    if (this.#stopped) return;
    this.#state = state;
    this.#schedule();
  }

  /** Redis came back (maybe empty after a restart): write at once rather than at the next refresh. */
  onReady(): void {
    if (this.#state && !this.#stopped) void this.#write();
  }

  #schedule(): void {
    if (this.#pending) return;
    const delay = Math.max(0, this.#lastWrite + this.#o.minIntervalMs - Date.now());
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      void this.#write();
    }, delay);
    unref(this.#pending);
  }

  async #write(): Promise<void> {
    const state = this.#state;
    if (!state || this.#stopped || this.#writing || !this.#o.isReady()) return;
    this.#writing = true;
    this.#lastWrite = Date.now();
    try {
      this.#o.onCommand();
      await this.#client.publish(this.#o.keys, {
        instanceId: state.instanceId,
        json: JSON.stringify(state),
        ttlMs: this.#o.ttlMs,
      });
    } catch (error) {
      this.#o.logger.warn(
        { err: error },
        'could not publish instance state to the fleet registry; retrying at the next refresh',
      );
    } finally {
      this.#writing = false;
    }
    // A change that arrived during the write is written after the debounce interval.
    if (this.#state !== state) this.#schedule();
  }

  /** Stops refreshing and removes the entry (best effort). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#refresh);
    clearTimeout(this.#pending);
    const id = this.#state?.instanceId;
    if (!id || !this.#o.isReady()) return;
    try {
      this.#o.onCommand();
      await this.#client.unpublish(this.#o.keys, id);
    } catch {}
  }
}
