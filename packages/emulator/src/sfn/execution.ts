/**
 * One state machine execution, interpreted state by state. Task states hand activity tasks to
 * {@link Activities}; their timeouts, heartbeat timeouts, Retry delays and Wait states are divided by the
 * emulator's time scale. Every transition is recorded as a history event.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { ActivityTask, Activities } from './activities.ts';
import { choiceMatches, errorMatches, retryDelayMs, type Definition, type StateDef } from './asl.ts';
import { SfnError } from './errors.ts';
import { contextObject, type ExecutionRef, type ExecutionStatus, type HistoryEvent } from './history.ts';
import { applyTemplate, selectPath, writeResult } from './paths.ts';

export interface ExecutionEnv {
  readonly clock: Clock;
  readonly timeScale: number;
  readonly activities: Activities;
}

export interface ExecutionSpec extends ExecutionRef {
  readonly definition: Definition;
}

const seconds = (ms: number) => ms / 1000;

export class Execution {
  status: ExecutionStatus = 'RUNNING';
  readonly startDate: number;
  stopDate: number | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  readonly events: HistoryEvent[] = [];
  #task: ActivityTask | undefined;
  readonly #timers = new Set<TimerHandle>();

  constructor(
    private readonly env: ExecutionEnv,
    readonly spec: ExecutionSpec,
  ) {
    this.startDate = env.clock.now();
  }

  start(): void {
    this.#event('ExecutionStarted', { executionStartedEventDetails: { input: this.spec.input } });
    const limit = this.spec.definition.TimeoutSeconds;
    if (limit !== undefined)
      this.#after(limit * 1000, () =>
        this.#finish('TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out' }),
      );
    this.#guard(() => this.#enter(this.spec.definition.StartAt, JSON.parse(this.spec.input) as unknown));
  }

  /** StopExecution: the running task's token stops working (TaskTimedOut). */
  stop(error: string | undefined, cause: string | undefined): void {
    this.#finish('ABORTED', { error, cause });
  }

  #event(type: string, details: Record<string, unknown> = {}): void {
    const id = this.events.length + 1;
    this.events.push({
      timestamp: seconds(this.env.clock.now()),
      type,
      id,
      previousEventId: id - 1,
      ...details,
    });
  }

  #after(ms: number, fn: () => void): void {
    const handle = this.env.clock.setTimeout(() => {
      this.#timers.delete(handle);
      if (this.status === 'RUNNING') this.#guard(fn);
    }, ms / this.env.timeScale);
    this.#timers.add(handle);
  }

  /** A path or template that does not fit the data fails the execution, as the service does. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const error = err instanceof SfnError ? err.code : 'States.Runtime';
      this.#finish('FAILED', { error, cause: (err as Error).message });
    }
  }

  #enter(name: string, input: unknown): void {
    const state = this.spec.definition.States[name]!;
    this.#event(`${state.Type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(input) },
    });
    const effective = selectPath(input, state.InputPath);
    switch (state.Type) {
      case 'Task':
        return this.#runTask(name, state, input, []);
      case 'Pass': {
        const result =
          state.Result ??
          (state.Parameters === undefined
            ? effective
            : applyTemplate(
                state.Parameters,
                effective,
                contextObject(this.spec, this.startDate, this.env.clock.now(), name, 0),
              ));
        return this.#exit(
          name,
          state,
          selectPath(writeResult(input, state.ResultPath, result), state.OutputPath),
        );
      }
      case 'Choice': {
        const rule = state.Choices!.find((r) => choiceMatches(r, effective));
        const next = rule?.Next ?? state.Default;
        if (next === undefined)
          return this.#finish('FAILED', {
            error: 'States.NoChoiceMatched',
            cause: `No Choice matched in ${name}`,
          });
        const output = selectPath(effective, state.OutputPath);
        this.#event('ChoiceStateExited', {
          stateExitedEventDetails: { name, output: JSON.stringify(output) },
        });
        return this.#enter(next, output);
      }
      case 'Wait':
        return this.#after((state.Seconds ?? 0) * 1000, () =>
          this.#exit(name, state, selectPath(effective, state.OutputPath)),
        );
      case 'Succeed':
        return this.#exit(name, state, selectPath(effective, state.OutputPath));
      case 'Fail':
        return this.#finish('FAILED', { error: state.Error, cause: state.Cause });
    }
  }

  #exit(name: string, state: StateDef, output: unknown): void {
    this.#event(`${state.Type}StateExited`, {
      stateExitedEventDetails: { name, output: JSON.stringify(output) },
    });
    if (state.Type === 'Succeed' || state.End === true)
      this.#finish('SUCCEEDED', { output: JSON.stringify(output) });
    else this.#enter(state.Next!, output);
  }

  #runTask(name: string, state: StateDef, input: unknown, attempts: number[]): void {
    const retryCount = attempts.reduce((a, b) => a + b, 0);
    const effective = selectPath(input, state.InputPath);
    const params =
      state.Parameters === undefined
        ? effective
        : applyTemplate(
            state.Parameters,
            effective,
            contextObject(this.spec, this.startDate, this.env.clock.now(), name, retryCount),
          );
    const resource = state.Resource!;
    this.#event('ActivityScheduled', {
      activityScheduledEventDetails: {
        resource,
        input: JSON.stringify(params),
        ...(state.TimeoutSeconds === undefined ? {} : { timeoutInSeconds: state.TimeoutSeconds }),
        ...(state.HeartbeatSeconds === undefined ? {} : { heartbeatInSeconds: state.HeartbeatSeconds }),
      },
    });
    let timeout: TimerHandle | undefined;
    const settle = () => {
      this.#task = undefined;
      if (timeout) {
        timeout.cancel();
        this.#timers.delete(timeout);
      }
    };
    const failWith = (error: string, cause: string) =>
      this.#onError(name, state, input, error, cause, attempts);
    const live = () => this.status === 'RUNNING';
    let task: ActivityTask;
    try {
      task = this.env.activities.schedule(
        resource,
        JSON.stringify(params),
        state.HeartbeatSeconds === undefined
          ? undefined
          : (state.HeartbeatSeconds * 1000) / this.env.timeScale,
        {
          started: (workerName) => {
            if (live()) this.#event('ActivityStarted', { activityStartedEventDetails: { workerName } });
          },
          succeeded: (output) => {
            if (!live()) return;
            settle();
            this.#event('ActivitySucceeded', { activitySucceededEventDetails: { output } });
            this.#guard(() =>
              this.#exit(
                name,
                state,
                selectPath(writeResult(input, state.ResultPath, JSON.parse(output)), state.OutputPath),
              ),
            );
          },
          failed: (error, cause) => {
            if (!live()) return;
            settle();
            this.#event('ActivityFailed', { activityFailedEventDetails: { error, cause } });
            this.#guard(() => failWith(error, cause));
          },
          heartbeatTimedOut: () => {
            if (!live()) return;
            settle();
            this.#event('ActivityTimedOut', {
              activityTimedOutEventDetails: { error: 'States.HeartbeatTimeout' },
            });
            this.#guard(() => failWith('States.HeartbeatTimeout', 'The activity missed its heartbeat'));
          },
        },
      );
    } catch (err) {
      const cause = (err as Error).message;
      this.#event('ActivityScheduleFailed', {
        activityScheduleFailedEventDetails: { error: 'States.Runtime', cause },
      });
      return this.#finish('FAILED', { error: 'States.Runtime', cause });
    }
    this.#task = task;
    if (state.TimeoutSeconds !== undefined) {
      const handle = this.env.clock.setTimeout(
        () => {
          this.#timers.delete(handle);
          if (!live() || task.closed) return;
          this.env.activities.close(task);
          settle();
          this.#event('ActivityTimedOut', { activityTimedOutEventDetails: { error: 'States.Timeout' } });
          this.#guard(() => failWith('States.Timeout', 'The activity timed out'));
        },
        (state.TimeoutSeconds * 1000) / this.env.timeScale,
      );
      timeout = handle;
      this.#timers.add(handle);
    }
  }

  /** Retry (first matching retrier, while it has attempts left), else Catch, else the execution fails. */
  #onError(
    name: string,
    state: StateDef,
    input: unknown,
    error: string,
    cause: string,
    attempts: number[],
  ): void {
    const retriers = state.Retry ?? [];
    const index = retriers.findIndex((r) => errorMatches(r.ErrorEquals, error));
    if (index >= 0) {
      const retrier = retriers[index]!;
      const used = attempts[index] ?? 0;
      if (used < (retrier.MaxAttempts ?? 3)) {
        const next = [...attempts];
        next[index] = used + 1;
        return this.#after(retryDelayMs(retrier, used), () => this.#runTask(name, state, input, next));
      }
    }
    const catcher = (state.Catch ?? []).find((c) => errorMatches(c.ErrorEquals, error));
    if (!catcher) return this.#finish('FAILED', { error, cause });
    const output = writeResult(input, catcher.ResultPath === undefined ? '$' : catcher.ResultPath, {
      Error: error,
      Cause: cause,
    });
    this.#event('TaskStateExited', { stateExitedEventDetails: { name, output: JSON.stringify(output) } });
    this.#enter(catcher.Next, output);
  }

  #finish(
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    end: { output?: string; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (this.status !== 'RUNNING') return;
    this.status = status;
    this.stopDate = this.env.clock.now();
    this.output = end.output;
    this.error = end.error;
    this.cause = end.cause;
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    if (this.#task) this.env.activities.close(this.#task);
    this.#task = undefined;
    const details =
      end.output !== undefined ? { output: end.output } : { error: end.error, cause: end.cause };
    const type = { SUCCEEDED: 'Succeeded', FAILED: 'Failed', TIMED_OUT: 'TimedOut', ABORTED: 'Aborted' }[
      status
    ];
    this.#event(`Execution${type}`, { [`execution${type}EventDetails`]: details });
  }
}
