import type { RunnerHooks } from '@tasklane/core';

/**
 * Whether the task service answers, as the runner's own calls see it: after `threshold` consecutive
 * failed polls or runner heartbeats (any group) the runner is unready; the next successful one makes it
 * ready again. A poll the coordinator never started (no permit) is not a service failure.
 */
export class ServiceReadiness {
  #consecutiveFailures = 0;

  constructor(readonly threshold: number) {}

  /** True until `threshold` calls in a row failed. */
  isReady(): boolean {
    return this.#consecutiveFailures < this.threshold;
  }

  /** Failed calls in a row so far (0 after any success). */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  #record(ok: boolean): void {
    this.#consecutiveFailures = ok ? 0 : this.#consecutiveFailures + 1;
  }

  hooks(): RunnerHooks {
    return {
      onPollEnd: ({ error }) => this.#record(error === undefined),
      onHeartbeat: ({ ok }) => this.#record(ok),
    };
  }
}
