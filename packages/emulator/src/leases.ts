/**
 * Ack, progress and attempt deadlines of handed-out tasks. One timer per task, re-armed lazily: a
 * progress report only moves `leaseDeadline`, and the pending timer re-arms itself when it fires early.
 * That keeps ReportTaskProgress free of timer churn.
 */
import type { Clock } from './clock.ts';
import type { Task } from './model.ts';

export type ExpiryReason = 'ack' | 'progress' | 'attempt';

export class Leases {
  readonly #clock: Clock;
  readonly #onExpire: (task: Task, reason: ExpiryReason) => void;

  constructor(clock: Clock, onExpire: (task: Task, reason: ExpiryReason) => void) {
    this.#clock = clock;
    this.#onExpire = onExpire;
  }

  start(task: Task, ackMs: number, attemptMs: number | undefined): void {
    const now = this.#clock.now();
    task.leaseDeadline = now + ackMs;
    task.attemptDeadline = attemptMs === undefined ? Infinity : now + attemptMs;
    this.#arm(task);
  }

  extend(task: Task, ms: number): void {
    task.leaseDeadline = this.#clock.now() + ms;
    this.#arm(task);
  }

  stop(task: Task): void {
    task.timer?.cancel();
    task.timer = undefined;
  }

  #arm(task: Task): void {
    const due = Math.min(task.leaseDeadline, task.attemptDeadline);
    if (task.timer && task.timerDue <= due) return;
    task.timer?.cancel();
    task.timerDue = due;
    task.timer = this.#clock.setTimeout(() => this.#fire(task), due - this.#clock.now());
  }

  #fire(task: Task): void {
    task.timer = undefined;
    if (task.state !== 'handed') return;
    const now = this.#clock.now();
    if (now >= task.attemptDeadline) this.#onExpire(task, 'attempt');
    else if (now >= task.leaseDeadline) this.#onExpire(task, task.acked ? 'progress' : 'ack');
    else this.#arm(task);
  }

  /** A late report can arrive before the timer callback ran; it must still find the lease expired. */
  expireIfDue(task: Task): boolean {
    if (task.state !== 'handed') return false;
    const now = this.#clock.now();
    if (now < task.leaseDeadline && now < task.attemptDeadline) return false;
    this.stop(task);
    this.#onExpire(task, now >= task.attemptDeadline ? 'attempt' : task.acked ? 'progress' : 'ack');
    return true;
  }
}
