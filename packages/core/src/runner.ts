import { backoffDelay, sleep } from './backoff.ts';
import type { Coordinator, InFlightTask, InstanceState } from './coordinator.ts';
import { ErrorCode, TasklaneError } from './errors.ts';
import { combineHooks } from './hooks-combine.ts';
import type { RunnerHooks, RunnerState } from './hooks.ts';
import { InProcessCoordinator } from './in-process-coordinator.ts';
import { silentLogger, type Logger } from './logger.ts';
import { compileRunnerOptions, type CompiledRunnerOptions, type RunnerOptions } from './options.ts';
import { Tokens, type HandlerRegistry } from './registry.ts';
import { portableRuntime, type RuntimePrimitives } from './runtime.ts';
import { SlotPool } from './slots.ts';
import type { TaskSource } from './source.ts';
import { executeTask, type ExecutionDeps } from './task-execution.ts';
import type { Task } from './task.ts';
import { VERSION } from './version.ts';

function randomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

interface Loop {
  readonly source: TaskSource;
  readonly group: string;
}

/**
 * Polls each group, runs tasks in slots, keeps their leases, and reports outcomes.
 *
 * Lifecycle: created → starting → running → draining → stopped. `stop()` stops taking work, lets the
 * in-flight poll finish (a task it brings still runs), waits for running tasks up to the shutdown timeout,
 * then aborts the rest and reports them FAILED with errorId TL_SHUTDOWN.
 */
export class Runner {
  readonly options: CompiledRunnerOptions;
  readonly taskrunnerId: string;
  readonly instanceId: string;
  readonly hostname: string;
  readonly coordinator: Coordinator;
  readonly registry: HandlerRegistry;
  readonly runtime: RuntimePrimitives;
  readonly #logger: Logger;
  readonly #hooks: RunnerHooks;
  readonly #loops: Loop[];
  readonly #sources: TaskSource[];
  readonly #slots: SlotPool;
  readonly #stopLoops = new AbortController();
  readonly #deadlineListeners = new Set<() => void>();
  #deadlinePassed = false;
  readonly #running = new Set<Promise<void>>();
  readonly #inFlight = new Map<string, InFlightTask>();
  #state: RunnerState = 'created';
  #startedAt = 0;
  #shutdownDeadline: number | undefined;
  #loopPromises: Promise<void>[] = [];
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #stopping: Promise<void> | undefined;
  #publishQueued = false;
  #stopped: { promise: Promise<void>; resolve: () => void };

  constructor(options: RunnerOptions) {
    this.options = compileRunnerOptions(options);
    this.runtime = options.runtime ?? portableRuntime();
    this.registry = options.registry;
    this.coordinator = options.coordinator ?? new InProcessCoordinator();
    this.instanceId = randomId();
    this.hostname = this.options.hostname ?? this.runtime.hostname();
    this.taskrunnerId = this.options.taskrunnerId ?? `tasklane-${this.hostname}-${this.instanceId}`;
    this.#logger = (options.logger ?? silentLogger).child({ taskrunnerId: this.taskrunnerId });
    this.#hooks = combineHooks(options.hooks ?? [], this.#logger);
    this.#loops = options.sources.flatMap((binding) =>
      binding.groups.map((group) => ({ source: binding.source, group })),
    );
    this.#sources = [...new Set(options.sources.map((b) => b.source))];
    this.#slots = new SlotPool(this.options.concurrency, this.options.maxConcurrentTasks, (group, busy) => {
      this.#hooks.onSlotsChanged?.({ group, busy, slots: this.options.concurrency });
      this.#publish();
    });
    let resolve!: () => void;
    this.#stopped = { promise: new Promise<void>((r) => (resolve = r)), resolve };
  }

  get state(): RunnerState {
    return this.#state;
  }

  /** Resolves once the runner has fully stopped (after `stop()`, or a `terminate` from the service). */
  get stopped(): Promise<void> {
    return this.#stopped.promise;
  }

  #setState(state: RunnerState): void {
    this.#state = state;
    this.#logger.info({ state }, `runner ${state}`);
    this.#hooks.onStateChange?.(state);
    this.#publish();
  }

  /** Starts polling every group; resolves once the runner is running. */
  async start(): Promise<void> {
    if (this.#state !== 'created')
      throw new TasklaneError(ErrorCode.LifecycleError, `start() called in state ${this.#state}`);
    this.#startedAt = this.runtime.now();
    this.#setState('starting');
    this.registry.bindDefault(Tokens.Logger, this.#logger);
    this.registry.bindDefault(Tokens.Runtime, this.runtime);
    try {
      await this.coordinator.start?.();
    } catch (error) {
      this.#setState('stopped');
      this.#stopped.resolve();
      throw error;
    }
    this.#loopPromises = this.#loops.map((loop) => this.#runLoop(loop));
    this.#heartbeat();
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.options.runnerHeartbeatIntervalMs);
    this.#setState('running');
  }

  /** Drains and stops; resolves when every task has ended. Safe to call more than once. */
  stop(): Promise<void> {
    if (this.#state === 'created') {
      this.#setState('stopped');
      this.#stopped.resolve();
      return Promise.resolve();
    }
    this.#stopping ??= this.#drain();
    return this.#stopping;
  }

  async #drain(): Promise<void> {
    this.#shutdownDeadline = this.runtime.now() + this.options.shutdownTimeoutMs;
    this.#setState('draining');
    this.#stopLoops.abort(new TasklaneError(ErrorCode.Shutdown, 'runner is stopping'));
    clearInterval(this.#heartbeatTimer);
    const deadline = setTimeout(() => {
      this.#deadlinePassed = true;
      for (const listener of [...this.#deadlineListeners]) listener();
    }, this.options.shutdownTimeoutMs);
    await Promise.allSettled(this.#loopPromises);
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    clearTimeout(deadline);
    await Promise.allSettled([this.coordinator.close(), ...this.#sources.map((s) => s.close?.())]);
    this.#setState('stopped');
    this.#stopped.resolve();
  }

  /** Snapshot for status pages and the fleet registry. */
  instanceState(): InstanceState {
    const groups: Record<string, { slots: number; busy: number }> = {};
    for (const { group } of this.#loops)
      groups[group] = { slots: this.options.concurrency, busy: this.#slots.busy(group) };
    return {
      instanceId: this.instanceId,
      hostname: this.hostname,
      runtime: `${this.runtime.name} ${this.runtime.version}`,
      version: VERSION,
      startedAt: this.#startedAt,
      state: this.#state,
      groups,
      inFlight: [...this.#inFlight.values()],
    };
  }

  #publish(): void {
    if (this.#state === 'created' || !this.coordinator.publishInstance || this.#publishQueued) return;
    // Several changes happen per task (slot taken, task started, slot freed): build the state once.
    this.#publishQueued = true;
    queueMicrotask(() => {
      this.#publishQueued = false;
      try {
        this.coordinator.publishInstance?.(this.instanceState());
      } catch (error) {
        this.#logger.warn({ err: error }, 'could not publish instance state');
      }
    });
  }

  #heartbeat(): void {
    for (const { source, group } of this.#loops) {
      if (!source.heartbeat) continue;
      source.heartbeat(group).then(
        ({ terminate }) => {
          this.#hooks.onHeartbeat?.({ group, ok: true, terminate });
          if (terminate && this.#state === 'running') {
            this.#logger.info({ workerGroup: group }, 'service asked this runner to terminate');
            void this.stop();
          }
        },
        (error: unknown) => {
          this.#hooks.onHeartbeat?.({ group, ok: false, terminate: false });
          this.#logger.warn({ err: error, workerGroup: group }, 'runner heartbeat failed');
        },
      );
    }
  }

  #deps(): ExecutionDeps {
    return {
      options: this.options,
      registry: this.registry,
      runtime: this.runtime,
      logger: this.#logger,
      hooks: this.#hooks,
      onShutdownDeadline: (listener: () => void) => {
        if (this.#deadlinePassed) {
          listener();
          return () => {};
        }
        this.#deadlineListeners.add(listener);
        return () => this.#deadlineListeners.delete(listener);
      },
      shutdownDeadline: () => this.#shutdownDeadline,
      onStarted: ({ task, group, startedAt }: { task: Task; group: string; startedAt: number }) => {
        this.#inFlight.set(task.taskId, {
          taskId: task.taskId,
          attemptId: task.attemptId,
          group,
          activityType: task.activityType,
          startedAt,
        });
        this.#publish();
      },
      onFinished: (task: Task) => {
        this.#inFlight.delete(task.taskId);
      },
    };
  }

  async #runLoop({ source, group }: Loop): Promise<void> {
    const stop = this.#stopLoops.signal;
    const deps = this.#deps();
    const log = this.#logger.child({ workerGroup: group, source: source.kind });
    let failures = 0;
    while (!stop.aborted) {
      if (!(await this.#slots.reserve(group, stop))) break;
      let permit;
      try {
        permit = source.coordinated ? await this.coordinator.acquire(group, stop) : undefined;
      } catch (error) {
        this.#slots.release(group);
        if (stop.aborted) break;
        log.warn({ err: error }, 'coordinator acquire failed');
        await sleep(
          backoffDelay(failures++, this.options.pollBackoffBaseMs, this.options.pollBackoffMaxMs),
          stop,
        );
        continue;
      }
      const pollInfo = { group, source: source.kind, epoch: permit?.epoch ?? 0 };
      const started = this.runtime.monotonicNow();
      this.#hooks.onPollStart?.(pollInfo);
      let received = null;
      let pollError: unknown;
      try {
        // The poll is never aborted once sent: an abandoned Data Pipeline poll can lose a task.
        const poll = () => source.poll(group, stop);
        received = await (this.#hooks.wrapPoll ? this.#hooks.wrapPoll(pollInfo, poll) : poll());
      } catch (error) {
        pollError = error;
      }
      const leaseLost = permit?.lost ?? false;
      if (permit) {
        const heldMs = this.runtime.monotonicNow() - started;
        void permit.release().then(() => this.#hooks.onPermitReleased?.({ group, heldMs }));
      }
      this.#hooks.onPollEnd?.({
        ...pollInfo,
        durationMs: this.runtime.monotonicNow() - started,
        gotTask: received !== null,
        leaseLost,
        ...(pollError === undefined ? {} : { error: pollError }),
      });
      if (leaseLost) log.warn({ epoch: pollInfo.epoch }, 'poll lease was lost while the poll was in flight');
      if (pollError !== undefined) {
        this.#slots.release(group);
        const throttled = source.isThrottle?.(pollError) ?? false;
        const delay = backoffDelay(
          failures++ + (throttled ? 2 : 0),
          this.options.pollBackoffBaseMs,
          this.options.pollBackoffMaxMs,
        );
        log.warn({ err: pollError, delayMs: delay, throttled }, 'poll failed; backing off');
        await sleep(delay, stop);
        continue;
      }
      failures = 0;
      if (!received) {
        this.#slots.release(group);
        continue;
      }
      const run = executeTask(deps, source, group, received)
        .catch((error: unknown) => log.error({ err: error }, 'task execution failed unexpectedly'))
        .finally(() => {
          this.#slots.release(group);
          this.#running.delete(run);
        });
      this.#running.add(run);
    }
  }
}
