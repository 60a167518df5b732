/**
 * The lowest layer of the scheduler: instance status bookkeeping and pipeline state. Everything runs on
 * the event loop thread, so state changes are plain assignments; counters on the pipeline replace scans.
 */
import { fieldValue } from './fields.ts';
import { TERMINAL_INSTANCE } from './model.ts';
import type { Instance, Pipeline, Task } from './model.ts';
import type { ServiceState } from './service.ts';

/** A dependency in one of these states will never finish: its dependents cascade-fail. */
export const FAILED_LIKE: ReadonlySet<string> = new Set(['FAILED', 'CANCELED', 'CASCADE_FAILED', 'TIMEDOUT']);

/** Sets the status and keeps `openInstances` exact, so FINISHED needs no scan. */
export function setInstanceStatus(inst: Instance, status: string): void {
  const wasOpen = !TERMINAL_INSTANCE.has(inst.status);
  const isOpen = !TERMINAL_INSTANCE.has(status);
  inst.status = status;
  if (wasOpen !== isOpen && inst.run === inst.pipeline.run) inst.pipeline.openInstances += isOpen ? 1 : -1;
}

/**
 * `failureAndRerunMode: cascade`: a failed dependency or precondition cascade-fails the instance and a
 * re-run re-runs it. The service's default, `none`, leaves it waiting for the dependency to be re-run.
 */
export function cascades(inst: Instance): boolean {
  return fieldValue(inst.userFields, 'failureAndRerunMode')?.toLowerCase() === 'cascade';
}

/** The instance's current task when it is still queued or handed out. */
export function openTask(inst: Instance): Task | undefined {
  const task = inst.attempts[inst.attempts.length - 1]?.task;
  return task && task.state !== 'closed' && task.attempt.instance === inst ? task : undefined;
}

/** SCHEDULED → FINISHED when nothing remains; DEACTIVATING → INACTIVE once no task is handed out. */
export function checkPipelineDone(s: ServiceState, p: Pipeline): void {
  if (p.hidden || p.deleted) return;
  if (p.state === 'SCHEDULED' && p.openSchedules === 0 && p.openInstances === 0) {
    p.state = 'FINISHED';
    s.log(`pipeline ${p.id} FINISHED`);
    s.persist();
  } else if (p.state === 'DEACTIVATING' && p.handedTasks === 0) {
    p.state = 'INACTIVE';
    s.persist();
  }
}
