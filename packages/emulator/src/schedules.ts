/** Runs of a pipeline: activation into slots of instances, schedule occurrences, deactivation, stop. */
import { validateDefinition } from './definitions.ts';
import { InvalidRequestError } from './errors.ts';
import { parameterMap, substituteParameters } from './expressions.ts';
import { fieldValue, fieldValues, indexObjects, isActivityType, resolveFields } from './fields.ts';
import { createInstance } from './instance-factory.ts';
import { checkPipelineDone, openTask } from './instance-state.ts';
import { cancelInstance, evaluateInstance, watchLateness } from './instances.ts';
import { TERMINAL_INSTANCE } from './model.ts';
import type { Instance, ParameterValue, Pipeline } from './model.ts';
import { parseDateTime, parsePeriod } from './periods.ts';
import { scaled } from './service.ts';
import type { ServiceState } from './service.ts';

/** Occurrences created per schedule and run, so a far-past startDateTime cannot flood memory. */
const MAX_OCCURRENCES = 500;

/** Validates the latest definition, stops the previous run and starts a new one. */
export function activatePipelineRun(
  s: ServiceState,
  p: Pipeline,
  startMs: number | undefined,
  parameterValues: ParameterValue[] | undefined,
): void {
  if (!p.latest)
    throw new InvalidRequestError(
      `Pipeline ${p.id} has no pipeline definition; call PutPipelineDefinition first.`,
    );
  const result = validateDefinition(p.latest.objects, p.id);
  if (result.errored) {
    const first = result.validationErrors[0]!;
    throw new InvalidRequestError(
      `Pipeline definition has errors and cannot be activated (object ${first.id}: ${first.errors[0]}).`,
    );
  }
  stopRun(s, p);
  const params = parameterMap(p.latest.parameterObjects, p.latest.parameterValues, parameterValues);
  p.active = { ...p.latest, parameterValues: parameterValues ?? p.latest.parameterValues };
  p.components = indexObjects(substituteParameters(p.latest.objects, params));
  p.parameters = params;
  p.paused.clear();
  p.run++;
  p.openInstances = 0;
  p.state = 'SCHEDULED';
  p.lastActivatedAt = s.clock.now();

  const defaults = resolveFields('Default', p.components);
  const scheduleType = fieldValue(defaults, 'scheduleType') ?? 'cron';
  const groups = new Map<string, string[]>();
  for (const id of p.components.keys()) {
    if (id === 'Default') continue;
    const fields = resolveFields(id, p.components);
    if (!isActivityType(fieldValue(fields, 'type'))) continue;
    const schedule = scheduleType === 'ondemand' ? '' : (fieldValue(fields, 'schedule') ?? '');
    (groups.get(schedule) ?? groups.set(schedule, []).get(schedule)!).push(id);
  }
  for (const [schedule, ids] of groups) {
    if (schedule === '') {
      const start = nextRunStart(s, p);
      createSlot(s, p, ids, start, start, false);
    } else {
      startSchedule(s, p, schedule, ids, scheduleType === 'timeseries', startMs);
    }
  }
  checkPipelineDone(s, p);
  s.persist();
}

export function deactivatePipelineRun(s: ServiceState, p: Pipeline, cancelActive: boolean): void {
  stopSchedules(p);
  p.state = 'DEACTIVATING';
  for (const inst of [...p.instances.values()]) {
    if (TERMINAL_INSTANCE.has(inst.status)) continue;
    if (!cancelActive && openTask(inst)?.state === 'handed') continue;
    cancelInstance(s, inst, false);
  }
  checkPipelineDone(s, p);
  s.persist();
}

export function deletePipelineRun(s: ServiceState, p: Pipeline): void {
  stopRun(s, p);
  p.deleted = true;
}

function nextRunStart(s: ServiceState, p: Pipeline): number {
  // Whole seconds, strictly increasing per pipeline, so a quick re-activation cannot reuse instance ids.
  const now = Math.floor(s.clock.now() / 1000) * 1000;
  p.lastRunStart = Math.max(now, p.lastRunStart + 1000);
  return p.lastRunStart;
}

function startSchedule(
  s: ServiceState,
  p: Pipeline,
  scheduleId: string,
  ids: string[],
  timeseries: boolean,
  startMs: number | undefined,
): void {
  const fields = resolveFields(scheduleId, p.components);
  const period = parsePeriod(fieldValue(fields, 'period') ?? '') ?? 86_400_000;
  const startAt = fieldValue(fields, 'startAt');
  const serviceBase = s.clock.now();
  const start =
    startAt === 'FIRST_ACTIVATION_DATE_TIME'
      ? Math.floor((startMs ?? serviceBase) / 1000) * 1000
      : (parseDateTime(fieldValue(fields, 'startDateTime') ?? '') ?? serviceBase);
  const endText = fieldValue(fields, 'endDateTime');
  const end = endText === undefined ? undefined : parseDateTime(endText);
  const occText = fieldValue(fields, 'occurrences');
  const occurrences = Math.min(occText === undefined ? MAX_OCCURRENCES : Number(occText), MAX_OCCURRENCES);
  const run = p.run;
  let k = 0;
  p.openSchedules++;
  const close = () => {
    p.openSchedules--;
    checkPipelineDone(s, p);
  };
  const next = () => {
    if (p.run !== run || p.state !== 'SCHEDULED') return;
    for (;;) {
      const slotStart = start + k * period;
      if (k >= occurrences || (end !== undefined && slotStart >= end)) return close();
      const runAt = timeseries ? slotStart + period : slotStart;
      // Service time runs timeScale times faster than wall time from activation on.
      const serviceNow = serviceBase + (s.clock.now() - serviceBase) * s.config.timeScale;
      if (runAt > serviceNow) {
        const timer = s.clock.setTimeout(
          () => {
            p.scheduleTimers.delete(timer);
            next();
            s.obs.changed();
          },
          scaled(s, runAt - serviceNow),
        );
        p.scheduleTimers.add(timer);
        return;
      }
      k++;
      createSlot(s, p, ids, slotStart, slotStart + period, true);
    }
  };
  next();
}

function createSlot(
  s: ServiceState,
  p: Pipeline,
  ids: readonly string[],
  start: number,
  end: number,
  scheduled: boolean,
): void {
  const slot = new Map<string, Instance>();
  for (const id of ids) slot.set(id, createInstance(s, p, id, 'activity', start, end, {}));
  for (const inst of slot.values()) {
    for (const dep of fieldValues(inst.userFields, 'dependsOn')) {
      const d = slot.get(dep) ?? latestInstance(p, dep, start);
      if (!d) continue;
      inst.dependsOn.push(d);
      d.dependents.push(inst);
    }
  }
  for (const inst of slot.values()) {
    if (scheduled) watchLateness(s, inst);
    evaluateInstance(s, inst);
  }
}

function latestInstance(p: Pipeline, componentId: string, notAfter: number): Instance | undefined {
  let best: Instance | undefined;
  for (const inst of p.instances.values()) {
    if (inst.componentId !== componentId || inst.run !== p.run || inst.scheduledStart > notAfter) continue;
    if (!best || inst.scheduledStart > best.scheduledStart) best = inst;
  }
  return best;
}

function stopSchedules(p: Pipeline): void {
  for (const t of p.scheduleTimers) t.cancel();
  p.scheduleTimers.clear();
  p.openSchedules = 0;
}

function stopRun(s: ServiceState, p: Pipeline): void {
  stopSchedules(p);
  for (const inst of [...p.instances.values()]) cancelInstance(s, inst, false);
}

/** Cancels every timer (close, reset). */
export function stopAllTimers(s: ServiceState): void {
  for (const p of s.pipelines.values()) {
    stopSchedules(p);
    for (const inst of p.instances.values()) {
      inst.retryTimer?.cancel();
      inst.lateTimer?.cancel();
    }
  }
  for (const t of s.tasks.values()) s.leases.stop(t);
}
