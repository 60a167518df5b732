/** The in-process control API: enqueue, cancel, terminate, faults, observations, reset. */
import { EmulatorError } from './errors.ts';
import { refField, stringField } from './fields.ts';
import type { ApiField } from './model.ts';
import { parsePeriod } from './periods.ts';
import { resetPollGaps } from './poll-gaps.ts';
import { hiddenPipeline } from './pipelines.ts';
import { cancelTask, enqueueDirect } from './operator-actions.ts';
import { stopAllTimers } from './schedules.ts';
import type { ServiceState } from './service.ts';
import type {
  EmulatorControl,
  EnqueueTaskSpec,
  FaultSpec,
  Observations,
  TaskObservation,
  TaskRef,
} from './types.ts';

export function createControl(s: ServiceState): EmulatorControl {
  const control: EmulatorControl = {
    enqueueTask(spec: EnqueueTaskSpec): TaskRef {
      const fields = specFields(spec);
      const p =
        spec.pipelineId === undefined
          ? hiddenPipeline(s, spec.workerGroup)
          : s.pipelines.get(spec.pipelineId);
      if (!p || p.deleted)
        throw new EmulatorError('EMU_UNKNOWN_PIPELINE', `pipeline ${spec.pipelineId} does not exist`);
      let componentId: string;
      do componentId = `EnqueuedTask_${++p.enqueueSeq}`;
      while (p.components.has(componentId));
      const inst = enqueueDirect(s, p, { id: componentId, name: componentId, fields });
      const attempt = inst.attempts[inst.attempts.length - 1]!;
      s.obs.changed();
      return { taskId: attempt.task!.taskId, pipelineId: p.id, attemptId: attempt.id, objectId: componentId };
    },
    cancelTask(taskId: string): void {
      const task = s.tasks.get(taskId);
      if (!task) throw new EmulatorError('EMU_UNKNOWN_TASK', `no task ${taskId.slice(0, 24)}...`);
      cancelTask(s, task);
      s.obs.changed();
    },
    requestTerminate(taskrunnerId?: string): void {
      if (taskrunnerId === undefined) s.terminate.allSeq++;
      else s.terminate.runners.add(taskrunnerId);
    },
    injectFault(fault: FaultSpec): void {
      s.faults.add(fault);
    },
    clearFaults(): void {
      s.faults.clear();
    },
    observations(): Observations {
      return s.obs.snapshot();
    },
    task(taskId: string): TaskObservation | undefined {
      return s.obs.task(taskId);
    },
    waitFor(predicate: (o: Observations) => boolean, timeoutMs?: number): Promise<Observations> {
      return s.obs.waitFor(predicate, timeoutMs);
    },
    reset(): void {
      // Held polls stay held: they belong to live clients, and their counts stay exact.
      stopAllTimers(s);
      s.queues.clearTasks();
      s.pipelines.clear();
      s.byNameAndUniqueId.clear();
      s.hiddenByGroup.clear();
      s.tasks.clear();
      s.retention.clear();
      s.s3?.reset(s.s3Buckets);
      s.terminate.allSeq = 0;
      s.terminate.seen.clear();
      s.terminate.runners.clear();
      s.faults.clear();
      s.obs.reset();
      s.persist();
    },
    resetPollGaps(): void {
      for (const g of Object.values(s.obs.live.groups)) resetPollGaps(g);
    },
  };
  return control;
}

function specFields(spec: EnqueueTaskSpec): ApiField[] {
  if (!spec || typeof spec !== 'object')
    throw new EmulatorError('EMU_INVALID_SPEC', 'spec must be an object');
  if (typeof spec.workerGroup !== 'string' || spec.workerGroup === '') {
    throw new EmulatorError('EMU_INVALID_SPEC', 'spec.workerGroup must be a non-empty string');
  }
  const fields: ApiField[] = [
    stringField('type', spec.type ?? 'ShellCommandActivity'),
    stringField('workerGroup', spec.workerGroup),
  ];
  for (const [key, value] of Object.entries(spec.fields ?? {})) {
    if (key === 'type' || key === 'workerGroup') continue;
    if (key.startsWith('@'))
      throw new EmulatorError('EMU_INVALID_SPEC', `field '${key}' is a read-only runtime field`);
    if (typeof value === 'string') fields.push(stringField(key, value));
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      for (const v of value) fields.push(stringField(key, v));
    else if (value && typeof value === 'object' && typeof (value as { ref?: unknown }).ref === 'string')
      fields.push(refField(key, (value as { ref: string }).ref));
    else
      throw new EmulatorError(
        'EMU_INVALID_SPEC',
        `field '${key}' must be a string, a string array or { ref: string }`,
      );
  }
  if (spec.maximumRetries !== undefined) {
    if (!Number.isInteger(spec.maximumRetries) || spec.maximumRetries < 0) {
      throw new EmulatorError('EMU_INVALID_SPEC', 'maximumRetries must be a non-negative integer');
    }
    fields.push(stringField('maximumRetries', String(spec.maximumRetries)));
  }
  for (const key of ['reportProgressTimeout', 'attemptTimeout', 'retryDelay'] as const) {
    const v = spec[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || parsePeriod(v) === undefined) {
      throw new EmulatorError(
        'EMU_INVALID_SPEC',
        `${key} must be a period such as '10 minutes', got ${JSON.stringify(v)}`,
      );
    }
    fields.push(stringField(key, v));
  }
  return fields;
}
