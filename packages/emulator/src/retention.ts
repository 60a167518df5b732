/**
 * Keeps the emulator's memory bounded on long runs: closed tasks (their Task record, observation and
 * attempt observation, and for control-API tasks their hidden instance) are forgotten once they ended
 * more than `retentionMs` ago or more than `maxEnded` newer ones exist. Open work is never dropped.
 */
import { TERMINAL_INSTANCE } from './model.ts';
import type { Task } from './model.ts';
import type { ServiceState } from './service.ts';

interface Ended {
  task: Task;
  at: number;
}

export class TaskRetention {
  readonly #ended: Ended[] = [];
  #head = 0;

  /** Call when a task is closed; also sweeps what has aged out. */
  closed(s: ServiceState, task: Task): void {
    const now = s.clock.now();
    this.#ended.push({ task, at: now });
    const oldest = now - s.config.observationRetentionMs;
    while (this.#head < this.#ended.length) {
      const e = this.#ended[this.#head]!;
      if (e.at >= oldest && this.#ended.length - this.#head <= s.config.maxEndedTasks) break;
      this.#head++;
      forget(s, e.task);
    }
    // Compact now and then so the array does not keep the forgotten prefix alive.
    if (this.#head > 1024 && this.#head * 2 > this.#ended.length) {
      this.#ended.splice(0, this.#head);
      this.#head = 0;
    }
  }

  clear(): void {
    this.#ended.length = 0;
    this.#head = 0;
  }
}

function forget(s: ServiceState, task: Task): void {
  if (s.tasks.get(task.taskId) !== task) return;
  s.tasks.delete(task.taskId);
  const live = s.obs.live;
  if (live.tasks[task.taskId] === task.obs) delete live.tasks[task.taskId];
  const a = task.attempt;
  if (live.attempts[a.id] === a.obs) delete live.attempts[a.id];
  const inst = a.instance;
  const p = inst.pipeline;
  // Control-API tasks on the hidden pipelines would otherwise pile up one instance per task.
  // A retry may still be pending while the last attempt's task is closed: only finished ones go.
  if (
    inst.direct &&
    p.hidden &&
    TERMINAL_INSTANCE.has(inst.status) &&
    inst.attempts[inst.attempts.length - 1] === a
  ) {
    p.instances.delete(inst.id);
    for (const x of inst.attempts) p.attempts.delete(x.id);
    p.components.delete(inst.componentId);
  }
}
