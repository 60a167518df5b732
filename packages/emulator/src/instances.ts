/**
 * Instance lifecycle: dependencies, preconditions, attempts becoming ready, retries, finishing,
 * cascade failure, cancellation and re-runs. Functions over the service state, like task-ops.ts.
 */
import { newAttempt, stopTask } from './attempts.ts';
import { instanceId } from './ids.ts';
import { createInstance } from './instance-factory.ts';
import { armLateTimer, fireActions } from './actions.ts';
import { cascades, checkPipelineDone, FAILED_LIKE, openTask, setInstanceStatus } from './instance-state.ts';
import { TERMINAL_INSTANCE } from './model.ts';
import { serviceEvaluated, servicePreconditionMet } from './service-preconditions.ts';
import type { Attempt, Instance } from './model.ts';
import type { ServiceState } from './service.ts';

export type AttemptOutcome = 'FINISHED' | 'FAILED' | 'FALSE' | 'TIMEDOUT' | 'CANCELED';

export interface AttemptError {
  errorId?: string;
  errorMessage?: string;
  errorStackTrace?: string;
}

type FinishCause = 'precondition-timeout' | undefined;

/** Moves a CREATING/WAITING_ON_DEPENDENCIES instance on as far as its dependencies allow. */
export function evaluateInstance(s: ServiceState, inst: Instance): void {
  if (inst.status !== 'CREATING' && inst.status !== 'WAITING_ON_DEPENDENCIES') return;
  const failed = inst.dependsOn.find((d) => FAILED_LIKE.has(d.status));
  if (failed && cascades(inst)) return cascadeFail(s, inst, failed);
  const pending = failed ?? inst.dependsOn.find((d) => d.status !== 'FINISHED');
  if (pending) {
    setInstanceStatus(inst, 'WAITING_ON_DEPENDENCIES');
    inst.waitingOn = pending.id;
    return;
  }
  if (inst.preconditionIds.length > 0) {
    setInstanceStatus(inst, 'WAITING_ON_DEPENDENCIES');
    if (inst.preconditions.length === 0) {
      const fresh: Instance[] = [];
      for (const preId of inst.preconditionIds) {
        const { pre, created } = precondition(s, inst, preId);
        inst.preconditions.push(pre);
        if (created) fresh.push(pre);
      }
      // Start them only after all are attached, so a synchronous outcome cannot re-enter half-built state.
      for (const pre of fresh) {
        if (!serviceEvaluated(pre)) makeReady(s, pre);
        else checkServicePrecondition(s, pre, false);
      }
      if (inst.status !== 'WAITING_ON_DEPENDENCIES') return;
    }
    if (inst.preconditions.some((pre) => TERMINAL_INSTANCE.has(pre.status) && pre.status !== 'FINISHED'))
      return;
    const waiting = inst.preconditions.find((pre) => pre.status !== 'FINISHED');
    if (waiting) {
      inst.waitingOn = waiting.id;
      return;
    }
  }
  inst.waitingOn = undefined;
  makeReady(s, inst);
}

function precondition(
  s: ServiceState,
  activity: Instance,
  preId: string,
): { pre: Instance; created: boolean } {
  const p = activity.pipeline;
  const existing = p.instances.get(instanceId(preId, activity.scheduledStart));
  if (existing && existing.run === p.run && existing.kind === 'precondition') {
    if (!existing.waiters.includes(activity)) existing.waiters.push(activity);
    if (FAILED_LIKE.has(existing.status)) rerunInstance(s, existing);
    return { pre: existing, created: false };
  }
  const pre = createInstance(s, p, preId, 'precondition', activity.scheduledStart, activity.scheduledEnd, {
    workerGroup: activity.workerGroup,
    ...(activity.preconditionNodes.has(preId) ? { checksNode: activity.preconditionNodes.get(preId)! } : {}),
    ...(activity.preconditionTimeoutMs === undefined
      ? {}
      : { preconditionTimeoutMs: activity.preconditionTimeoutMs }),
  });
  pre.waiters.push(activity);
  return { pre, created: true };
}

/** Creates the next attempt and queues its task (or holds it: paused component, stopped pipeline). */
export function makeReady(s: ServiceState, inst: Instance): void {
  const p = inst.pipeline;
  if (!inst.direct) {
    if (p.state !== 'SCHEDULED' || p.deleted) return finishInstance(s, inst, 'CANCELED', undefined, false);
    if (p.paused.has(inst.componentId)) return setInstanceStatus(inst, 'PAUSED');
  }
  const attempt = newAttempt(s, inst);
  inst.firstCheckAt ??= s.clock.now();
  setInstanceStatus(inst, 'WAITING_FOR_RUNNER');
  s.queues.offer(attempt.task!);
}

/** Records how an attempt ended and moves its instance on (retry, finish, fail, cascade). */
export function attemptEnded(
  s: ServiceState,
  a: Attempt,
  outcome: AttemptOutcome,
  error?: AttemptError,
): void {
  const inst = a.instance;
  a.status = a.obs.status = outcome === 'FALSE' ? 'FAILED' : outcome;
  if (outcome === 'FALSE') a.attemptStatus = 'FALSE';
  a.actualEnd = s.clock.now();
  if (error?.errorId !== undefined) a.errorId = error.errorId;
  if (error?.errorMessage !== undefined) a.errorMessage = error.errorMessage;
  if (error?.errorStackTrace !== undefined) a.errorStackTrace = error.errorStackTrace;
  // MARK_FINISHED, a newer run or a newer attempt already decided this instance's fate.
  if (TERMINAL_INSTANCE.has(inst.status) || inst.attempts[inst.attempts.length - 1] !== a)
    return checkPipelineDone(s, inst.pipeline);
  switch (outcome) {
    case 'FINISHED':
    case 'CANCELED':
      return finishInstance(s, inst, outcome);
    case 'FALSE':
      if (inst.kind === 'precondition') {
        if (preconditionTimedOut(s, inst)) return failPreconditionTimeout(s, inst);
        return scheduleRetry(s, inst);
      }
      return retryOrFail(s, inst);
    case 'FAILED':
    case 'TIMEDOUT':
      return retryOrFail(s, inst);
  }
}

function retryOrFail(s: ServiceState, inst: Instance): void {
  if (inst.tries <= inst.maximumRetries) scheduleRetry(s, inst);
  else finishInstance(s, inst, 'FAILED');
}

function preconditionTimedOut(s: ServiceState, inst: Instance): boolean {
  return (
    inst.preconditionTimeoutMs !== undefined &&
    inst.firstCheckAt !== undefined &&
    s.clock.now() - inst.firstCheckAt >= inst.preconditionTimeoutMs
  );
}

function failPreconditionTimeout(s: ServiceState, inst: Instance): void {
  inst.errorMessage = `Precondition not met within preconditionTimeout (${inst.preconditionTimeoutMs} ms).`;
  finishInstance(s, inst, 'FAILED', 'precondition-timeout');
}

/** Waits `retryDelay`, then makes the instance ready again (service preconditions re-check instead). */
export function scheduleRetry(s: ServiceState, inst: Instance): void {
  setInstanceStatus(inst, 'WAITING_FOR_RUNNER');
  const run = inst.run;
  inst.retryTimer?.cancel();
  inst.retryTimer = s.clock.setTimeout(() => {
    inst.retryTimer = undefined;
    if (TERMINAL_INSTANCE.has(inst.status) || inst.run !== run || inst.pipeline.deleted) return;
    if (inst.kind === 'precondition' && preconditionTimedOut(s, inst)) failPreconditionTimeout(s, inst);
    else if (inst.kind === 'precondition' && serviceEvaluated(inst)) checkServicePrecondition(s, inst, true);
    else makeReady(s, inst);
    s.obs.changed();
  }, inst.retryDelayMs);
}

/** Makes the instance terminal and, with `propagate`, releases or cascade-fails whoever waits on it. */
export function finishInstance(
  s: ServiceState,
  inst: Instance,
  status: string,
  cause?: FinishCause,
  propagate = true,
): void {
  if (TERMINAL_INSTANCE.has(inst.status)) return;
  inst.retryTimer?.cancel();
  inst.retryTimer = undefined;
  setInstanceStatus(inst, status);
  inst.actualEnd = s.clock.now();
  if (status !== 'FAILED') inst.lateTimer?.cancel();
  if (inst.kind === 'activity') detachPreconditions(s, inst);
  if (status === 'FINISHED' || status === 'FAILED')
    fireActions(s, inst, status === 'FINISHED' ? 'onSuccess' : 'onFail', (i) => cancelInstance(s, i));
  if (propagate) {
    if (inst.kind === 'precondition') {
      for (const w of inst.waiters.splice(0)) {
        if (status === 'FINISHED') evaluateInstance(s, w);
        else if (cause === 'precondition-timeout') {
          w.waitingOn = inst.id;
          cancelInstance(s, w);
        } else if (cascades(w)) cascadeFail(s, w, inst);
        else {
          // `none`: the activity waits for this precondition to be re-run.
          w.waitingOn = inst.id;
          inst.waiters.push(w);
        }
      }
    } else {
      for (const d of inst.dependents) {
        if (status === 'FINISHED') evaluateInstance(s, d);
        else if (cascades(d)) cascadeFail(s, d, inst);
        else if (!TERMINAL_INSTANCE.has(d.status)) d.waitingOn = inst.id;
      }
    }
  }
  checkPipelineDone(s, inst.pipeline);
}

function detachPreconditions(s: ServiceState, inst: Instance): void {
  for (const pre of inst.preconditions) {
    const i = pre.waiters.indexOf(inst);
    if (i >= 0) pre.waiters.splice(i, 1);
    // A precondition nobody waits for any more is pointless ("their preconditions to CANCELED").
    if (pre.waiters.length === 0 && !TERMINAL_INSTANCE.has(pre.status)) cancelInstance(s, pre, false);
  }
}

function cascadeFail(s: ServiceState, inst: Instance, cause: Instance): void {
  if (TERMINAL_INSTANCE.has(inst.status)) return;
  inst.cascadeFailedOn = cause.id;
  stopTask(s, openTask(inst));
  finishInstance(s, inst, 'CASCADE_FAILED');
}

/**
 * TRY_CANCEL / deactivate / re-activation. A running task is told through its next ReportTaskProgress
 * (or its lease runs out) and only then does its instance become CANCELED.
 */
export function cancelInstance(s: ServiceState, inst: Instance, propagate = true): void {
  if (TERMINAL_INSTANCE.has(inst.status)) return;
  const task = openTask(inst);
  stopTask(s, task);
  if (task?.state === 'handed') return;
  finishInstance(s, inst, 'CANCELED', undefined, propagate);
}

/** RERUN: a terminal instance starts over with fresh retries; cascade-failed dependents follow it. */
export function rerunInstance(s: ServiceState, inst: Instance): void {
  if (!TERMINAL_INSTANCE.has(inst.status)) return;
  inst.retryTimer?.cancel();
  inst.retryTimer = undefined;
  inst.tries = 0;
  inst.cascadeFailedOn = inst.waitingOn = inst.actualEnd = inst.errorMessage = inst.firstCheckAt = undefined;
  inst.preconditions = [];
  inst.pipeline.state = inst.pipeline.state === 'FINISHED' ? 'SCHEDULED' : inst.pipeline.state;
  setInstanceStatus(inst, 'WAITING_ON_DEPENDENCIES');
  if (inst.kind === 'precondition') {
    if (!serviceEvaluated(inst)) makeReady(s, inst);
    else checkServicePrecondition(s, inst, true);
  } else evaluateInstance(s, inst);
  for (const d of inst.dependents)
    if (d.status === 'CASCADE_FAILED' || (cascades(d) && TERMINAL_INSTANCE.has(d.status)))
      rerunInstance(s, d);
}

/** Arms `lateAfterTimeout` for a scheduled (not on-demand) instance. */
export function watchLateness(s: ServiceState, inst: Instance): void {
  armLateTimer(s, inst, (i) => cancelInstance(s, i));
}

/**
 * Preconditions the service evaluates itself (S3KeyExists, S3PrefixNotEmpty against the emulator's S3).
 * Not met: checked again after `retryDelay` until `preconditionTimeout`, like a runner's FALSE.
 * `propagate` is false while the waiting activity is still attaching its preconditions.
 */
function checkServicePrecondition(s: ServiceState, pre: Instance, propagate: boolean): void {
  const now = s.clock.now();
  pre.actualStart ??= now;
  pre.firstCheckAt ??= now;
  if (servicePreconditionMet(s, pre)) finishInstance(s, pre, 'FINISHED', undefined, propagate);
  else if (preconditionTimedOut(s, pre)) failPreconditionTimeout(s, pre);
  else scheduleRetry(s, pre);
}
