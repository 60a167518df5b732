import type { Coordinator, InstanceState } from './coordinator.ts';
import { ErrorCode, TasklaneError } from './errors.ts';
import { combineHooks } from './hooks-combine.ts';
import type { RunnerHooks, RunnerState } from './hooks.ts';
import { InProcessCoordinator } from './in-process-coordinator.ts';
import { LagWatchdog } from './lag-watchdog.ts';
import { LeaseTicker } from './lease-ticker.ts';
import { removeItem } from './list.ts';
import { silentLogger, type Logger } from './logger.ts';
import { compileRunnerOptions, type CompiledRunnerOptions, type RunnerOptions } from './options.ts';
import { Tokens, type HandlerRegistry } from './registry.ts';
import { portableRuntime, type RuntimePrimitives } from './runtime.ts';
import { SlotPool } from './slots.ts';
import type { SourceTask, TaskSource } from './source.ts';
import { StatePublisher } from './state-publisher.ts';
import type { ExecutionHost, RunningTask } from './execution-host.ts';
import { TaskExecution } from './task-execution.ts';
import { LeaseThread, leaseThreadUrl } from './thread-lease.ts';
import { setLongInterval, setLongTimeout, type LongTimer } from './timers.ts';
import { VERSION } from './version.ts';
import { WorkerGroupLoop, type LoopHost } from './worker-group-loop.ts';

const randomId = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Polls each group, runs tasks in slots, keeps their leases, and reports outcomes.
 *
 * Lifecycle: created → starting → running → draining → stopped. `stop()` stops taking work, lets the
 * in-flight poll finish (a task it brings runs, or is left un-acked once the shutdown deadline passed),
 * waits for running tasks up to the shutdown timeout, then aborts the rest and reports them FAILED with
 * errorId TL_SHUTDOWN.
 */
export class Runner {
  readonly options: CompiledRunnerOptions;
  /** Sent with heartbeats; the runner's identity, handed to every source that asks for it. */
  readonly taskrunnerId: string;
  readonly instanceId: string;
  readonly hostname: string;
  readonly coordinator: Coordinator;
  readonly registry: HandlerRegistry;
  readonly runtime: RuntimePrimitives;
  readonly #logger: Logger;
  readonly #hooks: RunnerHooks;
  readonly #loops: WorkerGroupLoop[];
  readonly #sources: TaskSource[];
  readonly #slots: SlotPool;
  readonly #stopLoops = new AbortController();
  readonly #deadline = new AbortController();
  /** Tasks handed over by the loops and not yet ended; `#idle` is called when that falls to 0. */
  #active = 0;
  #idle: (() => void) | undefined;
  readonly #running: RunningTask[] = []; // an array, not a Set: see removeItem (list.ts)
  readonly #execution: ExecutionHost;
  readonly #watchdog: LagWatchdog;
  readonly #leaseThread: LeaseThread | undefined;
  #state: RunnerState = 'created';
  #startedAt = 0;
  #shutdownDeadline: number | undefined;
  #loopPromises: Promise<void>[] = [];
  #heartbeatTimer: LongTimer | undefined;
  #stopping: Promise<void> | undefined;
  readonly #publisher: StatePublisher;
  readonly #stopped: { promise: Promise<void>; resolve: () => void };

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
    this.#sources = [...new Set(options.sources.map((b) => b.source))];
    const identity = {
      taskrunnerId: this.taskrunnerId,
      hostname: this.hostname,
      instanceId: this.instanceId,
    };
    for (const source of this.#sources) source.bindRunner?.(identity);
    this.#publisher = new StatePublisher(
      () => this.coordinator.publishInstance?.(this.instanceState()),
      () => this.runtime.monotonicNow(),
      this.#logger,
    );
    this.#slots = new SlotPool(this.options.concurrency, this.options.maxConcurrentTasks, (group, busy) => {
      this.#hooks.onSlotsChanged?.({ group, busy, slots: this.options.concurrency });
      this.#publish();
    });
    const loopHost: LoopHost = {
      options: this.options,
      coordinator: this.coordinator,
      runtime: this.runtime,
      logger: this.#logger,
      hooks: this.#hooks,
      slots: this.#slots,
      startTask: (source, group, received) => this.#startTask(source, group, received),
    };
    this.#loops = options.sources.flatMap(({ source, groups }) => {
      const polls = Math.max(1, Math.min(Math.floor(source.pollsPerGroup ?? 1), this.options.concurrency));
      return groups.flatMap((group) =>
        Array.from({ length: polls }, () => new WorkerGroupLoop(loopHost, source, group)),
      );
    });
    const startThread = this.runtime.startThread?.bind(this.runtime);
    // Room for every slot's lease plus as many still stopping (a renewal in flight when the task ended).
    const groups = options.sources.reduce((n, b) => n + b.groups.length, 0);
    const slots = Math.min(this.options.concurrency * Math.max(1, groups), this.options.maxConcurrentTasks);
    this.#leaseThread =
      this.options.leaseThread && startThread
        ? new LeaseThread(() => startThread(leaseThreadUrl()), this.#logger, 2 * slots + 4)
        : undefined;
    const deadlineOf = () => this.#shutdownDeadline;
    this.#execution = {
      options: this.options,
      registry: this.registry,
      runtime: this.runtime,
      logger: this.#logger,
      hooks: this.#hooks,
      shutdown: {
        get deadline() {
          return deadlineOf();
        },
        deadlinePassed: this.#deadline.signal,
      },
      running: {
        add: (task) => {
          this.#running.push(task);
          this.#publish();
        },
        delete: (task) => void removeItem(this.#running, task),
      },
      ended: (group) => {
        this.#slots.release(group);
        if (--this.#active === 0) this.#idle?.();
      },
      leaseKeeper: (o) => this.#leaseThread?.keeper(o) ?? new LeaseTicker(o),
    };
    this.#watchdog = new LagWatchdog({
      runtime: this.runtime,
      hooks: this.#hooks,
      logger: this.#logger,
      probeMs: this.options.lagProbeIntervalMs,
      warnMs: this.options.lagWarnThresholdMs,
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

  /**
   * Resolves true once the lease thread runs (attempts that start from then on keep their leases on it),
   * false when there is none (disabled, no `startThread`, no source that renews from a thread, or it failed).
   */
  get leaseThreadReady(): Promise<boolean> {
    if (!this.#leaseThread || !this.#sources.some((s) => s.renewsFromThread)) return Promise.resolve(false);
    return this.#leaseThread.warm();
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
      this.#leaseThread?.close();
      this.#setState('stopped');
      this.#stopped.resolve();
      throw error;
    }
    this.#watchdog.start();
    // The lease thread starts with the first lease (an idle runner never pays its ~10 MB): until it has
    // loaded, that lease is renewed from here and the renewals are written to the board, and a handler
    // that blocks at once leaves the thread to load and renew on its own (first-lease.int.test.ts).
    this.#loopPromises = this.#loops.map((loop) => loop.run(this.#stopLoops.signal));
    this.#heartbeat();
    this.#heartbeatTimer = setLongInterval(() => this.#heartbeat(), this.options.runnerHeartbeatIntervalMs);
    this.#setState('running');
  }

  /** Drains and stops; resolves when every task has ended. Safe to call more than once. */
  stop(): Promise<void> {
    if (this.#state === 'created') {
      this.#leaseThread?.close();
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
    this.#heartbeatTimer?.clear();
    this.#logOpenPolls();
    const deadline = setLongTimeout(() => {
      this.#deadline.abort();
      for (const task of [...this.#running]) task.shutdownDeadlinePassed();
    }, this.options.shutdownTimeoutMs);
    await Promise.allSettled(this.#loopPromises);
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    deadline.clear();
    this.#watchdog.stop();
    this.#leaseThread?.close();
    // A coalesced state still waiting must not reach a registry this instance has just left.
    this.#publisher.cancel();
    await Promise.allSettled([this.coordinator.close(), ...this.#sources.map((s) => s.close?.())]);
    this.#setState('stopped');
    this.#stopped.resolve();
  }

  /** Tells the person at the terminal what the runner waits for: polls cannot be abandoned safely. */
  #logOpenPolls(): void {
    const now = this.runtime.monotonicNow();
    for (const loop of this.#loops) {
      if (loop.pollStartedAt === undefined) continue;
      const max = loop.source.maxPollMs;
      const atMostMs =
        max === undefined ? undefined : Math.max(0, Math.round(max - (now - loop.pollStartedAt)));
      this.#logger.info(
        { workerGroup: loop.group, source: loop.source.kind, atMostMs },
        atMostMs === undefined
          ? 'waiting for the in-flight poll to answer before stopping (abandoning it could lose a task)'
          : `waiting up to ${Math.ceil(atMostMs / 1000)} s for the in-flight poll to answer before stopping (abandoning it could lose a task)`,
      );
    }
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
      inFlight: this.#running.map((task) => task.describe()),
    };
  }

  #publish(): void {
    if (this.#state === 'created' || !this.coordinator.publishInstance) return;
    this.#publisher.request(this.#state !== 'running');
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

  #startTask(source: TaskSource, group: string, received: SourceTask): void {
    this.#active++;
    // It never rejects, and frees its slot through the host's `ended` when it is over.
    void new TaskExecution(this.#execution, source, group, received).run();
  }
}
