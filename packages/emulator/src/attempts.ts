/** Attempts and the tasks that carry them: creation, closing, withdrawal and cancel requests. */
import { attemptId, newTaskId } from './ids.ts';
import type { Attempt, CloseReason, Instance, Task } from './model.ts';
import type { ServiceState } from './service.ts';
import type { TaskObservation } from './types.ts';

/** A new attempt of the instance with its (not yet queued) task, registered everywhere it is looked up. */
export function newAttempt(s: ServiceState, inst: Instance): Attempt {
  const p = inst.pipeline;
  const n = inst.attempts.length + 1;
  inst.tries++;
  const id = attemptId(inst.id, n);
  const attempt: Attempt = {
    id,
    instance: inst,
    n,
    status: 'WAITING_FOR_RUNNER',
    obs: { attemptId: id, handouts: 0, status: 'WAITING_FOR_RUNNER' },
  };
  const taskId = newTaskId();
  const obs: TaskObservation = {
    taskId,
    pipelineId: p.id,
    attemptId: id,
    objectId: inst.componentId,
    workerGroup: inst.workerGroup,
    type: inst.type,
    handouts: 0,
    acks: 0,
    progressReports: 0,
    canceled: false,
  };
  const task: Task = {
    taskId,
    attempt,
    workerGroup: inst.workerGroup,
    state: 'queued',
    acked: false,
    cancelRequested: false,
    cancelDelivered: false,
    leaseDeadline: Infinity,
    attemptDeadline: Infinity,
    timerDue: Infinity,
    obs,
  };
  attempt.task = task;
  inst.attempts.push(attempt);
  p.attempts.set(id, attempt);
  s.tasks.set(taskId, task);
  s.obs.live.tasks[taskId] = obs;
  s.obs.live.attempts[id] = attempt.obs;
  return attempt;
}

/** Takes the task out of the queue or off its runner; its attempt's outcome is decided by the caller. */
export function closeTask(s: ServiceState, task: Task, reason: CloseReason): void {
  if (task.state === 'handed') task.attempt.instance.pipeline.handedTasks--;
  if (task.state === 'queued') s.queues.withdraw(task);
  s.leases.stop(task);
  task.state = 'closed';
  task.closeReason = reason;
  s.retention.closed(s, task);
}

/** A running task learns of a cancel through its next ReportTaskProgress (or its lease runs out). */
export function requestCancel(task: Task): void {
  task.cancelRequested = true;
  task.obs.canceled = true;
}

/** A task nobody runs yet is simply taken back: its attempt ends CANCELED. */
export function withdraw(s: ServiceState, task: Task): void {
  closeTask(s, task, 'withdrawn');
  task.obs.canceled = true;
  task.obs.terminalStatus = 'CANCELED';
  const a = task.attempt;
  a.status = a.obs.status = 'CANCELED';
  a.actualEnd = s.clock.now();
}

/** Ends an open task the way a cancel would, whatever its state: requested if handed, else withdrawn. */
export function stopTask(s: ServiceState, task: Task | undefined): void {
  if (task?.state === 'handed') requestCancel(task);
  else if (task) withdraw(s, task);
}
