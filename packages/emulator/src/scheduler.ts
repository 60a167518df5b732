/**
 * Compiles components into instances and drives them: dependencies, preconditions, attempts, retries,
 * lease expiry, cancellation and pipeline state. Everything runs on the event loop thread, so state
 * changes are plain assignments; counters on the pipeline replace scans on hot paths.
 */
import { validateDefinition, MAX_RETRIES } from './definitions.ts';
import { InvalidRequestError } from './errors.ts';
import { parameterMap, substituteParameters } from './expressions.ts';
import {
  fieldValue,
  fieldValues,
  indexObjects,
  isActivityType,
  resolveFields,
  RUNNER_PRECONDITIONS,
  stringField,
} from './fields.ts';
import { attemptId, instanceId, newTaskId } from './ids.ts';
import { Leases } from './leases.ts';
import type { ExpiryReason } from './leases.ts';
import { TERMINAL_INSTANCE } from './model.ts';
import type { ApiObject, Attempt, Instance, InstanceKind, ParameterValue, Pipeline, Task } from './model.ts';
import { parseDateTime, parsePeriod } from './periods.ts';
import { renderAttempt } from './render.ts';
import { scaled } from './service.ts';
import type { ServiceState } from './service.ts';
import type { TaskObservation } from './types.ts';

export type AttemptOutcome = 'FINISHED' | 'FAILED' | 'FALSE' | 'TIMEDOUT' | 'CANCELED';

export interface AttemptError {
  errorId?: string;
  errorMessage?: string;
  errorStackTrace?: string;
}

export interface TaskObjectOutput {
  taskId: string;
  pipelineId: string;
  attemptId: string;
  objects: Record<string, ApiObject>;
}

/** A dependency in one of these states will never finish: its dependents cascade-fail. */
const FAILED_LIKE = new Set(['FAILED', 'CANCELED', 'CASCADE_FAILED', 'TIMEDOUT']);
/** Occurrences created per schedule and run, so a far-past startDateTime cannot flood memory. */
const MAX_OCCURRENCES = 500;

type FinishCause = 'precondition-timeout' | undefined;

export class Scheduler {
  readonly leases: Leases;
  readonly #s: ServiceState;

  constructor(state: ServiceState) {
    this.#s = state;
    this.leases = new Leases(state.clock, (task, reason) => this.#expire(task, reason));
  }

  // ---- activation -------------------------------------------------------------------------------

  activate(p: Pipeline, startMs: number | undefined, parameterValues: ParameterValue[] | undefined): void {
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
    this.#stopRun(p);
    const params = parameterMap(p.latest.parameterObjects, p.latest.parameterValues, parameterValues);
    p.active = { ...p.latest, parameterValues: parameterValues ?? p.latest.parameterValues };
    p.components = indexObjects(substituteParameters(p.latest.objects, params));
    p.paused.clear();
    p.run++;
    p.openInstances = 0;
    p.state = 'SCHEDULED';
    p.lastActivatedAt = this.#s.clock.now();

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
        const start = this.#nextRunStart(p);
        this.#createSlot(p, ids, start, start);
      } else {
        this.#startSchedule(p, schedule, ids, scheduleType === 'timeseries', startMs);
      }
    }
    this.#checkDone(p);
    this.#s.persist();
  }

  deactivate(p: Pipeline, cancelActive: boolean): void {
    this.#stopSchedules(p);
    p.state = 'DEACTIVATING';
    for (const inst of [...p.instances.values()]) {
      if (TERMINAL_INSTANCE.has(inst.status)) continue;
      if (!cancelActive && openTask(inst)?.state === 'handed') continue;
      this.cancelInstance(inst, false);
    }
    this.#checkDone(p);
    this.#s.persist();
  }

  delete(p: Pipeline): void {
    this.#stopRun(p);
    p.deleted = true;
  }

  /** A task straight from the control API, on a hidden or named pipeline. */
  enqueueDirect(p: Pipeline, component: ApiObject): Instance {
    p.components.set(component.id, component);
    const now = this.#s.clock.now();
    const inst = this.#createInstance(p, component.id, 'activity', now, now, { direct: true });
    this.makeReady(inst);
    return inst;
  }

  #nextRunStart(p: Pipeline): number {
    // Whole seconds, strictly increasing per pipeline, so a quick re-activation cannot reuse instance ids.
    const now = Math.floor(this.#s.clock.now() / 1000) * 1000;
    p.lastRunStart = Math.max(now, p.lastRunStart + 1000);
    return p.lastRunStart;
  }

  #startSchedule(
    p: Pipeline,
    scheduleId: string,
    ids: string[],
    timeseries: boolean,
    startMs: number | undefined,
  ): void {
    const fields = resolveFields(scheduleId, p.components);
    const period = parsePeriod(fieldValue(fields, 'period') ?? '') ?? 86_400_000;
    const startAt = fieldValue(fields, 'startAt');
    const serviceBase = this.#s.clock.now();
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
      this.#checkDone(p);
    };
    const next = () => {
      if (p.run !== run || p.state !== 'SCHEDULED') return;
      for (;;) {
        const slotStart = start + k * period;
        if (k >= occurrences || (end !== undefined && slotStart >= end)) return close();
        const runAt = timeseries ? slotStart + period : slotStart;
        // Service time runs timeScale times faster than wall time from activation on.
        const serviceNow = serviceBase + (this.#s.clock.now() - serviceBase) * this.#s.config.timeScale;
        if (runAt > serviceNow) {
          const timer = this.#s.clock.setTimeout(
            () => {
              p.scheduleTimers.delete(timer);
              next();
              this.#s.obs.changed();
            },
            scaled(this.#s, runAt - serviceNow),
          );
          p.scheduleTimers.add(timer);
          return;
        }
        k++;
        this.#createSlot(p, ids, slotStart, slotStart + period);
      }
    };
    next();
  }

  #createSlot(p: Pipeline, ids: readonly string[], start: number, end: number): void {
    const slot = new Map<string, Instance>();
    for (const id of ids) slot.set(id, this.#createInstance(p, id, 'activity', start, end, {}));
    for (const inst of slot.values()) {
      for (const dep of fieldValues(inst.userFields, 'dependsOn')) {
        const d = slot.get(dep) ?? this.#latestInstance(p, dep, start);
        if (!d) continue;
        inst.dependsOn.push(d);
        d.dependents.push(inst);
      }
    }
    for (const inst of slot.values()) this.#evaluate(inst);
  }

  #latestInstance(p: Pipeline, componentId: string, notAfter: number): Instance | undefined {
    let best: Instance | undefined;
    for (const inst of p.instances.values()) {
      if (inst.componentId !== componentId || inst.run !== p.run || inst.scheduledStart > notAfter) continue;
      if (!best || inst.scheduledStart > best.scheduledStart) best = inst;
    }
    return best;
  }

  #createInstance(
    p: Pipeline,
    componentId: string,
    kind: InstanceKind,
    start: number,
    end: number,
    opts: { workerGroup?: string; direct?: boolean; preconditionTimeoutMs?: number },
  ): Instance {
    const resolved = resolveFields(componentId, p.components);
    const type = fieldValue(resolved, 'type') ?? 'ShellCommandActivity';
    const userFields = resolved.filter((f) => f.key !== 'parent' && !f.key.startsWith('@'));
    if (!userFields.some((f) => f.key === 'type')) userFields.unshift(stringField('type', type));
    const workerGroup = opts.workerGroup ?? routeOf(p, resolved);
    if (kind === 'precondition' || fieldValue(userFields, 'workerGroup') === undefined) {
      const i = userFields.findIndex((f) => f.key === 'workerGroup');
      if (i >= 0) userFields.splice(i, 1);
      userFields.push(stringField('workerGroup', workerGroup));
    }
    const id = instanceId(componentId, start);
    const previous = p.instances.get(id);
    const retries = Number(fieldValue(resolved, 'maximumRetries'));
    const inst: Instance = {
      id,
      pipeline: p,
      componentId,
      kind,
      type,
      userFields,
      workerGroup,
      scheduledStart: start,
      scheduledEnd: end,
      status: 'CREATING',
      // A re-run of the same slot keeps numbering attempts where the previous run stopped.
      attempts: previous ? previous.attempts.slice() : [],
      dependsOn: [],
      dependents: [],
      preconditionIds: kind === 'activity' ? fieldValues(userFields, 'precondition') : [],
      preconditions: [],
      waiters: [],
      maximumRetries:
        Number.isInteger(retries) && retries >= 0
          ? Math.min(retries, MAX_RETRIES)
          : this.#s.config.defaultMaximumRetries,
      retryDelayMs: this.#period(resolved, 'retryDelay') ?? this.#s.config.defaultRetryDelayMs,
      attemptTimeoutMs: this.#period(resolved, 'attemptTimeout'),
      reportProgressTimeoutMs:
        this.#period(resolved, 'reportProgressTimeout') ?? this.#s.config.defaultReportProgressTimeoutMs,
      preconditionTimeoutMs: this.#period(resolved, 'preconditionTimeout') ?? opts.preconditionTimeoutMs,
      run: p.run,
      tries: 0,
      direct: opts.direct ?? false,
    };
    p.instances.set(id, inst);
    p.openInstances++;
    return inst;
  }

  #period(fields: ReturnType<typeof resolveFields>, key: string): number | undefined {
    const text = fieldValue(fields, key);
    const ms = text === undefined ? undefined : parsePeriod(text);
    return ms === undefined ? undefined : scaled(this.#s, ms);
  }

  // ---- instance lifecycle -----------------------------------------------------------------------

  #setStatus(inst: Instance, status: string): void {
    const wasOpen = !TERMINAL_INSTANCE.has(inst.status);
    const isOpen = !TERMINAL_INSTANCE.has(status);
    inst.status = status;
    if (wasOpen !== isOpen && inst.run === inst.pipeline.run) inst.pipeline.openInstances += isOpen ? 1 : -1;
  }

  #evaluate(inst: Instance): void {
    if (inst.status !== 'CREATING' && inst.status !== 'WAITING_ON_DEPENDENCIES') return;
    const failed = inst.dependsOn.find((d) => FAILED_LIKE.has(d.status));
    if (failed) return this.#cascadeFail(inst, failed);
    const pending = inst.dependsOn.find((d) => d.status !== 'FINISHED');
    if (pending) {
      this.#setStatus(inst, 'WAITING_ON_DEPENDENCIES');
      inst.waitingOn = pending.id;
      return;
    }
    if (inst.preconditionIds.length > 0) {
      this.#setStatus(inst, 'WAITING_ON_DEPENDENCIES');
      if (inst.preconditions.length === 0) {
        const fresh: Instance[] = [];
        for (const preId of inst.preconditionIds) {
          const { pre, created } = this.#precondition(inst, preId);
          inst.preconditions.push(pre);
          if (created) fresh.push(pre);
        }
        // Start them only after all are attached, so a synchronous outcome cannot re-enter half-built state.
        for (const pre of fresh) {
          if (RUNNER_PRECONDITIONS.has(pre.type)) this.makeReady(pre);
          else {
            // Service-evaluated preconditions (S3KeyExists, DynamoDB*) cannot be checked locally: met.
            pre.actualStart = pre.actualEnd = this.#s.clock.now();
            this.#setStatus(pre, 'FINISHED');
          }
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
    this.makeReady(inst);
  }

  #precondition(activity: Instance, preId: string): { pre: Instance; created: boolean } {
    const p = activity.pipeline;
    const existing = p.instances.get(instanceId(preId, activity.scheduledStart));
    if (existing && existing.run === p.run && existing.kind === 'precondition') {
      if (!existing.waiters.includes(activity)) existing.waiters.push(activity);
      if (FAILED_LIKE.has(existing.status)) this.rerun(existing);
      return { pre: existing, created: false };
    }
    const pre = this.#createInstance(
      p,
      preId,
      'precondition',
      activity.scheduledStart,
      activity.scheduledEnd,
      {
        workerGroup: activity.workerGroup,
        ...(activity.preconditionTimeoutMs === undefined
          ? {}
          : { preconditionTimeoutMs: activity.preconditionTimeoutMs }),
      },
    );
    pre.waiters.push(activity);
    return { pre, created: true };
  }

  makeReady(inst: Instance): void {
    const p = inst.pipeline;
    if (!inst.direct) {
      if (p.state !== 'SCHEDULED' || p.deleted) return this.#finish(inst, 'CANCELED', undefined, false);
      if (p.paused.has(inst.componentId)) return this.#setStatus(inst, 'PAUSED');
    }
    const attempt = this.#newAttempt(inst);
    inst.firstCheckAt ??= this.#s.clock.now();
    this.#setStatus(inst, 'WAITING_FOR_RUNNER');
    this.#s.queues.offer(attempt.task!);
  }

  #newAttempt(inst: Instance): Attempt {
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
    this.#s.tasks.set(taskId, task);
    this.#s.obs.live.tasks[taskId] = obs;
    this.#s.obs.live.attempts[id] = attempt.obs;
    return attempt;
  }

  // ---- hand-out and leases ----------------------------------------------------------------------

  /** Marks the task as running on a runner and returns the PollForTask `taskObject`. */
  handOut(task: Task, hostname: string | undefined): TaskObjectOutput {
    const a = task.attempt;
    const inst = a.instance;
    const p = inst.pipeline;
    const now = this.#s.clock.now();
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
    this.#setStatus(inst, 'RUNNING');
    task.obs.handouts++;
    task.obs.handedOutAt = now;
    this.#s.queues.group(task.workerGroup).obs.tasksHandedOut++;
    this.leases.start(task, this.#s.config.ackTimeoutMs, inst.attemptTimeoutMs);
    return { taskId: task.taskId, pipelineId: p.id, attemptId: a.id, objects: { [a.id]: view } };
  }

  /** The poll response carrying this task never reached the client: offer it again, first in line. */
  requeue(task: Task): void {
    if (task.state !== 'handed' || task.acked) return;
    const a = task.attempt;
    this.leases.stop(task);
    task.state = 'queued';
    a.instance.pipeline.handedTasks--;
    a.obs.handouts--;
    task.obs.handouts--;
    this.#s.queues.group(task.workerGroup).obs.tasksHandedOut--;
    a.status = a.obs.status = 'WAITING_FOR_RUNNER';
    a.actualStart = undefined;
    this.#setStatus(a.instance, 'WAITING_FOR_RUNNER');
    this.#s.log(`requeued ${a.id}: poll response was not delivered`);
    if (task.cancelRequested) {
      this.closeTask(task, 'withdrawn');
      this.attemptEnded(a, 'CANCELED');
    } else {
      this.#s.queues.offer(task, true);
    }
    this.#checkDone(a.instance.pipeline);
  }

  closeTask(task: Task, reason: NonNullable<Task['closeReason']>): void {
    if (task.state === 'handed') task.attempt.instance.pipeline.handedTasks--;
    if (task.state === 'queued') this.#s.queues.withdraw(task);
    this.leases.stop(task);
    task.state = 'closed';
    task.closeReason = reason;
  }

  #expire(task: Task, reason: ExpiryReason): void {
    const canceled = task.cancelRequested;
    const inst = task.attempt.instance;
    this.closeTask(task, 'expired');
    task.obs.terminalStatus = canceled ? 'CANCELED' : 'TIMEDOUT';
    const why =
      reason === 'ack'
        ? `no ReportTaskProgress within ${this.#s.config.ackTimeoutMs} ms of hand-out`
        : reason === 'progress'
          ? `no ReportTaskProgress within reportProgressTimeout (${inst.reportProgressTimeoutMs} ms)`
          : `attemptTimeout (${inst.attemptTimeoutMs} ms) exceeded`;
    this.#s.log(`lease expired for ${task.attempt.id}: ${why}`);
    this.attemptEnded(task.attempt, canceled ? 'CANCELED' : 'TIMEDOUT', {
      errorMessage: `Attempt timed out: ${why}.`,
    });
    this.#s.obs.changed();
  }

  /** Records how an attempt ended and moves its instance on (retry, finish, fail, cascade). */
  attemptEnded(a: Attempt, outcome: AttemptOutcome, error?: AttemptError): void {
    const inst = a.instance;
    a.status = a.obs.status = outcome === 'FALSE' ? 'FAILED' : outcome;
    if (outcome === 'FALSE') a.attemptStatus = 'FALSE';
    a.actualEnd = this.#s.clock.now();
    if (error?.errorId !== undefined) a.errorId = error.errorId;
    if (error?.errorMessage !== undefined) a.errorMessage = error.errorMessage;
    if (error?.errorStackTrace !== undefined) a.errorStackTrace = error.errorStackTrace;
    // MARK_FINISHED, a newer run or a newer attempt already decided this instance's fate.
    if (TERMINAL_INSTANCE.has(inst.status) || inst.attempts[inst.attempts.length - 1] !== a)
      return this.#checkDone(inst.pipeline);
    switch (outcome) {
      case 'FINISHED':
      case 'CANCELED':
        return this.#finish(inst, outcome);
      case 'FALSE':
        if (inst.kind === 'precondition') {
          if (this.#preconditionTimedOut(inst)) return this.#failPreconditionTimeout(inst);
          return this.#scheduleRetry(inst);
        }
        return this.#retryOrFail(inst);
      case 'FAILED':
      case 'TIMEDOUT':
        return this.#retryOrFail(inst);
    }
  }

  #retryOrFail(inst: Instance): void {
    if (inst.tries <= inst.maximumRetries) this.#scheduleRetry(inst);
    else this.#finish(inst, 'FAILED');
  }

  #preconditionTimedOut(inst: Instance): boolean {
    return (
      inst.preconditionTimeoutMs !== undefined &&
      inst.firstCheckAt !== undefined &&
      this.#s.clock.now() - inst.firstCheckAt >= inst.preconditionTimeoutMs
    );
  }

  #failPreconditionTimeout(inst: Instance): void {
    inst.errorMessage = `Precondition not met within preconditionTimeout (${inst.preconditionTimeoutMs} ms).`;
    this.#finish(inst, 'FAILED', 'precondition-timeout');
  }

  #scheduleRetry(inst: Instance): void {
    this.#setStatus(inst, 'WAITING_FOR_RUNNER');
    const run = inst.run;
    inst.retryTimer?.cancel();
    inst.retryTimer = this.#s.clock.setTimeout(() => {
      inst.retryTimer = undefined;
      if (TERMINAL_INSTANCE.has(inst.status) || inst.run !== run || inst.pipeline.deleted) return;
      if (inst.kind === 'precondition' && this.#preconditionTimedOut(inst))
        this.#failPreconditionTimeout(inst);
      else this.makeReady(inst);
      this.#s.obs.changed();
    }, inst.retryDelayMs);
  }

  #finish(inst: Instance, status: string, cause?: FinishCause, propagate = true): void {
    if (TERMINAL_INSTANCE.has(inst.status)) return;
    inst.retryTimer?.cancel();
    inst.retryTimer = undefined;
    this.#setStatus(inst, status);
    inst.actualEnd = this.#s.clock.now();
    if (inst.kind === 'activity') this.#detachPreconditions(inst);
    if (propagate) {
      if (inst.kind === 'precondition') {
        for (const w of inst.waiters.splice(0)) {
          if (status === 'FINISHED') this.#evaluate(w);
          else if (cause === 'precondition-timeout') {
            w.waitingOn = inst.id;
            this.cancelInstance(w);
          } else this.#cascadeFail(w, inst);
        }
      } else {
        for (const d of inst.dependents) {
          if (status === 'FINISHED') this.#evaluate(d);
          else this.#cascadeFail(d, inst);
        }
      }
    }
    this.#checkDone(inst.pipeline);
  }

  #detachPreconditions(inst: Instance): void {
    for (const pre of inst.preconditions) {
      const i = pre.waiters.indexOf(inst);
      if (i >= 0) pre.waiters.splice(i, 1);
      // A precondition nobody waits for any more is pointless ("their preconditions to CANCELED").
      if (pre.waiters.length === 0 && !TERMINAL_INSTANCE.has(pre.status)) this.cancelInstance(pre, false);
    }
  }

  #cascadeFail(inst: Instance, cause: Instance): void {
    if (TERMINAL_INSTANCE.has(inst.status)) return;
    inst.cascadeFailedOn = cause.id;
    const task = openTask(inst);
    if (task?.state === 'handed') this.#requestCancel(task);
    else if (task) this.#withdraw(task);
    this.#finish(inst, 'CASCADE_FAILED');
  }

  #requestCancel(task: Task): void {
    task.cancelRequested = true;
    task.obs.canceled = true;
  }

  #withdraw(task: Task): void {
    this.closeTask(task, 'withdrawn');
    task.obs.canceled = true;
    task.obs.terminalStatus = 'CANCELED';
    const a = task.attempt;
    a.status = a.obs.status = 'CANCELED';
    a.actualEnd = this.#s.clock.now();
  }

  /**
   * TRY_CANCEL / deactivate / re-activation. A running task is told through its next ReportTaskProgress
   * (or its lease runs out) and only then does its instance become CANCELED.
   */
  cancelInstance(inst: Instance, propagate = true): void {
    if (TERMINAL_INSTANCE.has(inst.status)) return;
    const task = openTask(inst);
    if (task?.state === 'handed') {
      this.#requestCancel(task);
      return;
    }
    if (task) this.#withdraw(task);
    this.#finish(inst, 'CANCELED', undefined, propagate);
  }

  /** Control API cancel: works on queued and handed tasks alike. */
  cancelTask(task: Task): void {
    if (task.state === 'closed') return;
    if (task.state === 'handed') return this.#requestCancel(task);
    this.#withdraw(task);
    this.attemptEnded(task.attempt, 'CANCELED');
  }

  markFinished(inst: Instance): void {
    if (TERMINAL_INSTANCE.has(inst.status)) return;
    const task = openTask(inst);
    if (task?.state === 'handed') this.#requestCancel(task);
    else if (task) this.#withdraw(task);
    this.#finish(inst, 'FINISHED');
  }

  rerun(inst: Instance): void {
    if (!TERMINAL_INSTANCE.has(inst.status)) return;
    inst.retryTimer?.cancel();
    inst.retryTimer = undefined;
    inst.tries = 0;
    inst.cascadeFailedOn =
      inst.waitingOn =
      inst.actualEnd =
      inst.errorMessage =
      inst.firstCheckAt =
        undefined;
    inst.preconditions = [];
    inst.pipeline.state = inst.pipeline.state === 'FINISHED' ? 'SCHEDULED' : inst.pipeline.state;
    this.#setStatus(inst, 'WAITING_ON_DEPENDENCIES');
    if (inst.kind === 'precondition') this.makeReady(inst);
    else this.#evaluate(inst);
    for (const d of inst.dependents) if (d.status === 'CASCADE_FAILED') this.rerun(d);
  }

  pause(p: Pipeline, componentId: string): void {
    p.paused.add(componentId);
    for (const inst of p.instances.values()) {
      if (inst.componentId !== componentId || inst.status !== 'WAITING_FOR_RUNNER') continue;
      const task = openTask(inst);
      if (task?.state === 'queued') {
        this.#s.queues.withdraw(task);
        this.#setStatus(inst, 'PAUSED');
      }
    }
  }

  resume(p: Pipeline, componentId: string): void {
    p.paused.delete(componentId);
    for (const inst of p.instances.values()) {
      if (inst.componentId !== componentId || inst.status !== 'PAUSED') continue;
      const task = openTask(inst);
      if (task?.state === 'queued') {
        this.#setStatus(inst, 'WAITING_FOR_RUNNER');
        this.#s.queues.offer(task);
      } else {
        this.#setStatus(inst, 'WAITING_ON_DEPENDENCIES');
        this.makeReady(inst);
      }
    }
  }

  // ---- pipeline state ---------------------------------------------------------------------------

  #stopSchedules(p: Pipeline): void {
    for (const t of p.scheduleTimers) t.cancel();
    p.scheduleTimers.clear();
    p.openSchedules = 0;
  }

  #stopRun(p: Pipeline): void {
    this.#stopSchedules(p);
    for (const inst of [...p.instances.values()]) this.cancelInstance(inst, false);
  }

  #checkDone(p: Pipeline): void {
    if (p.hidden || p.deleted) return;
    if (p.state === 'SCHEDULED' && p.openSchedules === 0 && p.openInstances === 0) {
      p.state = 'FINISHED';
      this.#s.log(`pipeline ${p.id} FINISHED`);
      this.#s.persist();
    } else if (p.state === 'DEACTIVATING' && p.handedTasks === 0) {
      p.state = 'INACTIVE';
      this.#s.persist();
    }
  }

  /** Cancels every timer (close, reset). */
  stopAllTimers(): void {
    for (const p of this.#s.pipelines.values()) {
      this.#stopSchedules(p);
      for (const inst of p.instances.values()) inst.retryTimer?.cancel();
    }
    for (const t of this.#s.tasks.values()) this.leases.stop(t);
  }
}

export function openTask(inst: Instance): Task | undefined {
  const task = inst.attempts[inst.attempts.length - 1]?.task;
  return task && task.state !== 'closed' && task.attempt.instance === inst ? task : undefined;
}

/**
 * Where an activity's tasks are queued. `runsOn` asks the service to launch a resource whose own Task
 * Runner would poll; locally that becomes the resource's `workerGroup` field, else the resource id.
 */
function routeOf(p: Pipeline, fields: ReturnType<typeof resolveFields>): string {
  const runsOn = fieldValue(fields, 'runsOn');
  if (runsOn !== undefined) return fieldValue(resolveFields(runsOn, p.components), 'workerGroup') ?? runsOn;
  return fieldValue(fields, 'workerGroup') ?? '';
}
