/** Handing tasks to runners, taking back undelivered ones, and lease expiry. */
import { closeTask } from './attempts.ts';
import { checkPipelineDone, setInstanceStatus } from './instance-state.ts';
import { attemptEnded } from './instances.ts';
import type { ExpiryReason } from './leases.ts';
import type { ApiObject, Task } from './model.ts';
import { renderAttempt } from './render.ts';
import { taskObjects } from './task-graph.ts';
import type { ServiceState } from './service.ts';

export interface TaskObjectOutput {
  taskId: string;
  pipelineId: string;
  attemptId: string;
  objects: Record<string, ApiObject>;
}

/** Marks the task as running on a runner and returns the PollForTask `taskObject`. */
export function handOut(s: ServiceState, task: Task, hostname: string | undefined): TaskObjectOutput {
  const a = task.attempt;
  const inst = a.instance;
  const p = inst.pipeline;
  const now = s.clock.now();
  task.state = 'handed';
  task.acked = false;
  p.handedTasks++;
  a.actualStart = now;
  if (hostname !== undefined) a.hostname = task.obs.hostname = hostname;
  // The runner sees the attempt as the service had it when picking it: still WAITING_FOR_RUNNER.
  const view = renderAttempt(a, 'WAITING_FOR_RUNNER');
  a.status = a.obs.status = 'RUNNING';
  a.obs.handouts++;
  inst.actualStart ??= now;
  setInstanceStatus(inst, 'RUNNING');
  task.obs.handouts++;
  task.obs.handedOutAt = now;
  s.queues.group(task.workerGroup).obs.tasksHandedOut++;
  s.leases.start(task, s.config.ackTimeoutMs, inst.attemptTimeoutMs);
  let objects: Record<string, ApiObject>;
  try {
    objects = taskObjects(a, view);
  } catch (err) {
    // The task is already handed out; a graph that cannot be built must not lose it.
    s.log(`task graph of ${a.id} failed, sending the attempt alone: ${(err as Error).message}`);
    objects = { [a.id]: view };
  }
  return { taskId: task.taskId, pipelineId: p.id, attemptId: a.id, objects };
}

/** The poll response carrying this task never reached the client: offer it again, first in line. */
export function requeue(s: ServiceState, task: Task): void {
  if (task.state !== 'handed' || task.acked) return;
  const a = task.attempt;
  s.leases.stop(task);
  task.state = 'queued';
  a.instance.pipeline.handedTasks--;
  a.obs.handouts--;
  task.obs.handouts--;
  s.queues.group(task.workerGroup).obs.tasksHandedOut--;
  a.status = a.obs.status = 'WAITING_FOR_RUNNER';
  a.actualStart = undefined;
  setInstanceStatus(a.instance, 'WAITING_FOR_RUNNER');
  s.log(`requeued ${a.id}: poll response was not delivered`);
  if (task.cancelRequested) {
    closeTask(s, task, 'withdrawn');
    attemptEnded(s, a, 'CANCELED');
  } else {
    s.queues.offer(task, true);
  }
  checkPipelineDone(s, a.instance.pipeline);
}

/** The lease ran out: the attempt is TIMEDOUT (CANCELED if a cancel was pending) and moves on. */
export function expireTask(s: ServiceState, task: Task, reason: ExpiryReason): void {
  const canceled = task.cancelRequested;
  const inst = task.attempt.instance;
  closeTask(s, task, 'expired');
  task.obs.terminalStatus = canceled ? 'CANCELED' : 'TIMEDOUT';
  const why =
    reason === 'ack'
      ? `no ReportTaskProgress within ${s.config.ackTimeoutMs} ms of hand-out`
      : reason === 'progress'
        ? `no ReportTaskProgress within reportProgressTimeout (${inst.reportProgressTimeoutMs} ms)`
        : `attemptTimeout (${inst.attemptTimeoutMs} ms) exceeded`;
  s.log(`lease expired for ${task.attempt.id}: ${why}`);
  attemptEnded(s, task.attempt, canceled ? 'CANCELED' : 'TIMEDOUT', {
    errorMessage: `Attempt timed out: ${why}.`,
  });
  s.obs.changed();
}
