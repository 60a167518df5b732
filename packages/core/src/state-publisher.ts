import type { Logger } from './logger.ts';
import { setLongTimeout, type LongTimer } from './timers.ts';

/** Instance state is built for the fleet registry at most this often while tasks come and go. */
export const PUBLISH_COALESCE_MS = 200;

/**
 * Publishes a runner's state for the fleet view, coalesced: several changes happen per task (slot taken,
 * task started, slot freed) and hundreds of tasks a second, while the registry writes once a second
 * anyway. The state is built when it goes out, so what is published is always the latest.
 */
export class StatePublisher {
  readonly #publish: () => void;
  readonly #now: () => number;
  readonly #logger: Logger;
  #queued = false;
  #timer: LongTimer | undefined;
  #last = -Infinity;

  constructor(publish: () => void, now: () => number, logger: Logger) {
    this.#publish = publish;
    this.#now = now;
    this.#logger = logger;
  }

  /** Asks for a publication: at once (next microtask) after a quiet spell or when `urgent`. */
  request(urgent: boolean): void {
    if (this.#queued) return;
    this.#queued = true;
    const wait = this.#last + PUBLISH_COALESCE_MS - this.#now();
    if (wait <= 0 || urgent) queueMicrotask(() => this.#run());
    else this.#timer = setLongTimeout(() => this.#run(), wait);
  }

  #run(): void {
    this.#timer = undefined;
    this.#queued = false;
    this.#last = this.#now();
    try {
      this.#publish();
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not publish instance state');
    }
  }

  /** Drops a publication still waiting (the instance is leaving the registry). */
  cancel(): void {
    this.#timer?.clear();
    this.#timer = undefined;
    this.#queued = false;
  }
}
