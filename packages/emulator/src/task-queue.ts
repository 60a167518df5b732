/**
 * Per-workerGroup FIFO of ready tasks and FIFO of held polls. A new task goes straight to the oldest
 * live poll, so hand-out never waits for a timer and every operation is O(1).
 */
import { LinkedQueue } from './linked-queue.ts';
import type { QueueNode } from './linked-queue.ts';
import type { Clock } from './clock.ts';
import type { Task } from './model.ts';
import type { ObservationLog } from './observations.ts';
import type { GroupObservation } from './types.ts';

export interface PollWaiter {
  isOpen(): boolean;
  /** Hands the task over; returns false if the poll could not take it after all. */
  deliver(task: Task): boolean;
  /** Answers the poll with no task (idle timeout or shutdown). */
  release(): void;
}

export interface GroupQueue {
  readonly name: string;
  readonly ready: LinkedQueue<Task>;
  readonly waiters: LinkedQueue<PollWaiter>;
  readonly obs: GroupObservation;
  lastUsed: number;
}

export class TaskQueues {
  readonly #groups = new Map<string, GroupQueue>();
  readonly #obs: ObservationLog;
  readonly #clock: Clock | undefined;
  readonly #retentionMs: number;

  constructor(obs: ObservationLog, clock?: Clock, retentionMs = Infinity) {
    this.#obs = obs;
    this.#clock = clock;
    this.#retentionMs = retentionMs;
  }

  /**
   * The group's queue. Groups are kept in order of last use, so groups idle for longer than the retention
   * (no queued task, no held or in-flight poll) are dropped from the front: names come from clients.
   */
  group(name: string): GroupQueue {
    const now = this.#clock?.now() ?? 0;
    let g = this.#groups.get(name);
    if (g) {
      this.#groups.delete(name);
    } else {
      g = {
        name,
        ready: new LinkedQueue(),
        waiters: new LinkedQueue(),
        obs: this.#obs.group(name),
        lastUsed: now,
      };
    }
    g.lastUsed = now;
    this.#groups.set(name, g);
    for (const [n, old] of this.#groups) {
      if (now - old.lastUsed <= this.#retentionMs) break;
      if (old.ready.size > 0 || old.waiters.size > 0 || old.obs.inFlightPolls > 0) break;
      this.#groups.delete(n);
      this.#obs.forgetGroup(n, old.obs);
    }
    return g;
  }

  /** A task became ready: wake the oldest live poll, else queue it. */
  offer(task: Task, front = false): void {
    const g = this.group(task.workerGroup);
    for (let w = g.waiters.shift(); w !== undefined; w = g.waiters.shift()) {
      if (w.isOpen() && w.deliver(task)) return;
    }
    task.node = front ? g.ready.pushFront(task) : g.ready.push(task);
  }

  take(name: string): Task | undefined {
    const g = this.#groups.get(name);
    if (!g) return undefined;
    const task = g.ready.shift();
    if (task) task.node = undefined;
    return task;
  }

  /** Removes a queued task (cancel, pause, pipeline stop). */
  withdraw(task: Task): void {
    if (!task.node) return;
    this.group(task.workerGroup).ready.remove(task.node);
    task.node = undefined;
  }

  wait(name: string, waiter: PollWaiter): QueueNode<PollWaiter> {
    return this.group(name).waiters.push(waiter);
  }

  stopWaiting(name: string, node: QueueNode<PollWaiter>): void {
    this.#groups.get(name)?.waiters.remove(node);
  }

  /** Answers every held poll with `{}` (shutdown, reset). */
  releaseAll(): void {
    for (const g of this.#groups.values()) for (const w of g.waiters.clear()) w.release();
  }

  clearTasks(): void {
    for (const g of this.#groups.values()) {
      for (const t of g.ready.clear()) t.node = undefined;
    }
  }
}
