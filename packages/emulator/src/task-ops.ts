/** Task-runner operations: PollForTask, ReportTaskProgress, SetTaskStatus, ReportTaskRunnerHeartbeat. */
import type { RequestContext } from './context.ts';
import { InvalidRequestError, PipelineDeletedError, TaskNotFoundError } from './errors.ts';
import type { ApiField, Task } from './model.ts';
import { closeTask } from './attempts.ts';
import { handOut, requeue } from './handout.ts';
import { attemptEnded } from './instances.ts';
import { pollArrived, pollEnded } from './poll-gaps.ts';
import type { ServiceState } from './service.ts';
import type { PollWaiter } from './task-queue.ts';

type Input = Record<string, unknown>;

export function pollForTask(s: ServiceState, input: Input, ctx: RequestContext): object | Promise<object> {
  const workerGroup = input.workerGroup as string;
  if (workerGroup === '') {
    throw new InvalidRequestError(
      "Value '' at 'workerGroup' failed to satisfy constraint: Member must not be empty",
    );
  }
  const hostname = input.hostname as string | undefined;
  const g = s.queues.group(workerGroup).obs;
  // Counted from receipt to response (or socket close): fleet tests prove "one poll per group" with it.
  g.polls++;
  pollArrived(g, hostname);
  g.inFlightPolls++;
  if (g.inFlightPolls > g.maxInFlightPolls) g.maxInFlightPolls = g.inFlightPolls;
  let delivered = false;
  ctx.onDone(() => {
    g.inFlightPolls--;
    pollEnded(g, hostname, delivered);
    s.obs.changed();
  });
  const respond = (task: Task) => {
    delivered = true;
    const taskObject = handOut(s, task, hostname);
    ctx.onUndelivered(() => {
      requeue(s, task);
      s.obs.changed();
    });
    return { taskObject };
  };
  const ready = s.queues.take(workerGroup);
  if (ready) return respond(ready);
  if (s.config.longPollMs <= 0 || s.closing) {
    g.emptyPolls++;
    return {};
  }
  return new Promise<object>((resolve) => {
    let settled = false;
    const waiter: PollWaiter = {
      isOpen: () => !settled && ctx.isOpen(),
      deliver(task) {
        if (settled || !ctx.isOpen()) return false;
        settled = true;
        timer.cancel();
        resolve(respond(task));
        return true;
      },
      release() {
        if (settled) return;
        settled = true;
        timer.cancel();
        g.emptyPolls++;
        resolve({});
      },
    };
    const node = s.queues.wait(workerGroup, waiter);
    // A held poll is a state change of its own (inFlightPolls) that waitFor callers watch for.
    s.obs.changed();
    const timer = s.clock.setTimeout(() => {
      s.queues.stopWaiting(workerGroup, node);
      waiter.release();
    }, s.config.longPollMs);
    ctx.onDone(() => {
      if (settled) return;
      // The client went away mid long-poll: forget the poll so no task is handed to a dead socket.
      settled = true;
      timer.cancel();
      s.queues.stopWaiting(workerGroup, node);
      resolve({});
    });
  });
}

function findTask(s: ServiceState, taskId: string): Task {
  const task = s.tasks.get(taskId);
  if (!task) throw new TaskNotFoundError(`Task ${abbreviate(taskId)} does not exist.`);
  const p = task.attempt.instance.pipeline;
  if (p.deleted) throw new PipelineDeletedError(p.id);
  return task;
}

function abbreviate(taskId: string): string {
  return taskId.length > 24 ? `${taskId.slice(0, 20)}...` : taskId;
}

export function reportTaskProgress(s: ServiceState, input: Input): object {
  const task = findTask(s, input.taskId as string);
  const a = task.attempt;
  if (task.state === 'closed') {
    if (task.closeReason === 'canceled') return { canceled: true };
    if (task.closeReason === 'expired') {
      s.obs.violation(
        task.acked ? 'report-after-expiry' : 'ack-after-deadline',
        `ReportTaskProgress for ${a.id} after its lease expired`,
      );
    } else if (task.closeReason === 'status') {
      s.obs.violation('report-after-terminal', `ReportTaskProgress for ${a.id} after SetTaskStatus`);
    }
    throw new TaskNotFoundError(`Task for ${a.id} is no longer assigned (${task.closeReason}).`);
  }
  if (task.state === 'queued') throw new TaskNotFoundError(`Task for ${a.id} is not assigned to any runner.`);
  if (s.leases.expireIfDue(task)) {
    s.obs.violation(
      task.acked ? 'report-after-expiry' : 'ack-after-deadline',
      `ReportTaskProgress for ${a.id} after its lease expired`,
    );
    throw new TaskNotFoundError(`Task for ${a.id} is no longer assigned (expired).`);
  }
  const now = s.clock.now();
  const obs = task.obs;
  if (!task.acked) {
    task.acked = true;
    obs.acks++;
    obs.firstAckAt ??= now;
  }
  obs.progressReports++;
  const fields = input.fields as ApiField[] | undefined;
  if (fields && fields.length > 0)
    obs.lastProgressFields = Object.fromEntries(
      fields.map((f) => [f.key, f.stringValue ?? f.refValue ?? '']),
    );
  a.reportProgressTime = now;
  if (task.cancelRequested) {
    task.cancelDelivered = true;
    closeTask(s, task, 'canceled');
    obs.terminalStatus = 'CANCELED';
    attemptEnded(s, a, 'CANCELED');
    return { canceled: true };
  }
  s.leases.extend(task, a.instance.reportProgressTimeoutMs);
  return { canceled: false };
}

export function setTaskStatus(s: ServiceState, input: Input): object {
  const task = findTask(s, input.taskId as string);
  const a = task.attempt;
  const status = input.taskStatus as 'FINISHED' | 'FAILED' | 'FALSE';
  const errorId = input.errorId as string | undefined;
  if (errorId?.startsWith('Service_')) {
    throw new InvalidRequestError(
      "Value at 'errorId' failed to satisfy constraint: errorId must not start with 'Service_' (reserved for the service).",
    );
  }
  if (task.state === 'closed') {
    if (task.closeReason === 'canceled') {
      if (status === 'FINISHED')
        s.obs.violation('finished-after-cancel', `SetTaskStatus FINISHED for ${a.id} after it was canceled`);
      return {};
    }
    if (task.closeReason === 'status')
      s.obs.violation('duplicate-set-task-status', `second SetTaskStatus (${status}) for ${a.id}`);
    if (task.closeReason === 'expired')
      s.obs.violation('status-after-expiry', `SetTaskStatus ${status} for ${a.id} after its lease expired`);
    throw new TaskNotFoundError(`Task for ${a.id} is no longer assigned (${task.closeReason}).`);
  }
  if (task.state === 'queued') throw new TaskNotFoundError(`Task for ${a.id} is not assigned to any runner.`);
  if (s.leases.expireIfDue(task)) {
    s.obs.violation('status-after-expiry', `SetTaskStatus ${status} for ${a.id} after its lease expired`);
    throw new TaskNotFoundError(`Task for ${a.id} is no longer assigned (expired).`);
  }
  if (!task.acked)
    s.obs.violation(
      'status-before-ack',
      `SetTaskStatus ${status} for ${a.id} without a ReportTaskProgress first`,
    );
  closeTask(s, task, 'status');
  const obs = task.obs;
  obs.terminalStatus = status;
  const error = {
    ...(errorId === undefined ? {} : { errorId }),
    ...(input.errorMessage === undefined ? {} : { errorMessage: input.errorMessage as string }),
    ...(input.errorStackTrace === undefined ? {} : { errorStackTrace: input.errorStackTrace as string }),
  };
  Object.assign(obs, error);
  let outcome: 'FINISHED' | 'FAILED' | 'FALSE' = status;
  if (status === 'FALSE' && a.instance.kind !== 'precondition') {
    s.obs.violation(
      'false-on-activity',
      `SetTaskStatus FALSE for activity ${a.id}; FALSE is for preconditions (treated as FAILED)`,
    );
    outcome = 'FAILED';
  }
  attemptEnded(s, a, outcome, error);
  return {};
}

export function reportTaskRunnerHeartbeat(s: ServiceState, input: Input, accessKeyId?: string): object {
  const id = input.taskrunnerId as string;
  const t = s.terminate;
  const forgotten = s.obs.heartbeat(
    id,
    input.workerGroup as string | undefined,
    input.hostname as string | undefined,
    accessKeyId,
  );
  for (const gone of forgotten) t.seen.delete(gone);
  let terminate = t.runners.delete(id);
  if ((t.seen.get(id) ?? 0) < t.allSeq) terminate = true;
  t.seen.set(id, t.allSeq);
  return { terminate };
}
