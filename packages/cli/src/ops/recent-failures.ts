import type { RunnerHooks } from '@tasklane/core';

export interface FailureRecord {
  readonly at: number;
  readonly group: string;
  readonly activityType: string;
  readonly attemptId: string;
  readonly errorId: string;
  readonly errorMessage: string;
}

/** The last few FAILED tasks of this process, for the fleet page. */
export class RecentFailures {
  readonly #items: FailureRecord[] = [];
  constructor(readonly capacity = 20) {}

  list(): readonly FailureRecord[] {
    return this.#items;
  }

  hooks(): RunnerHooks {
    return {
      onTaskEnd: ({ group, task, end }) => {
        if (end.kind !== 'reported' || end.outcome.status !== 'FAILED') return;
        this.#items.unshift({
          at: Date.now(),
          group,
          activityType: task.activityType,
          attemptId: task.attemptId,
          errorId: end.outcome.errorId,
          errorMessage: end.outcome.errorMessage.slice(0, 500),
        });
        if (this.#items.length > this.capacity) this.#items.pop();
      },
    };
  }
}
