import {
  DataPipelineSource,
  HandlerRegistry,
  InProcessCoordinator,
  Runner,
  type Logger,
  type RunnerOptions,
  type RuntimePrimitives,
  type SourceBinding,
  type TaskHandlerClass,
} from '@tasklane/core';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type EnqueueFieldValue,
  type EnqueueTaskSpec,
  type TaskObservation,
  type TaskRef,
} from '@tasklane/emulator';
import { createRuntime } from '@tasklane/runtime/node';

/** Options of {@link startTestEnvironment}. */
export interface TestEnvironmentOptions {
  /** @TaskHandler classes to register. */
  handlers?: TaskHandlerClass[];
  /** Plugin modules to load, as `registry.loadModule(await import('my-plugin'))` would. */
  modules?: Array<Record<string, unknown>>;
  /** Worker groups the runner serves; the first is the default for {@link TestEnvironment.enqueue}. @default ['test-group'] */
  workerGroups?: string[];
  /** Task slots per group. @default 2 */
  concurrency?: number;
  /**
   * Emulator options (defaults suit tests: short long polls, service time × 60), or a running emulator
   * to share, which close() then leaves running.
   */
  emulator?: Omit<EmulatorOptions, 'port'> | Emulator;
  /** More bindings served by the same runner (a BullMQ queue, another endpoint). */
  sources?: SourceBinding[];
  /** Lease renewal period of the runner. @default '500ms' */
  progressInterval?: string | number;
  /** @default createRuntime() from @tasklane/runtime/node */
  runtime?: RuntimePrimitives;
  logger?: Logger;
  /** How long stop() lets running tasks finish on close(). @default '5s' */
  shutdownTimeout?: string | number;
  /** Any other Runner options (hooks, coordinator, identity, timings), applied over the defaults above. */
  runnerOptions?: Partial<Omit<RunnerOptions, 'registry' | 'sources'>>;
  /** Start the runner before returning; with `false`, call `env.runner.start()` yourself. @default true */
  start?: boolean;
}

/** Extra enqueue settings; `workerGroup` defaults to the environment's first group. */
export type EnqueueOptions = Omit<EnqueueTaskSpec, 'type' | 'fields'>;

/** A running emulator plus a runner serving it. */
export interface TestEnvironment {
  readonly emulator: Emulator;
  readonly endpoint: string;
  readonly runner: Runner;
  readonly registry: HandlerRegistry;
  /** Queues a task of `type` with `fields` (strings, string lists or `{ ref }`). */
  enqueue(
    type: string,
    fields?: Record<string, EnqueueFieldValue>,
    options?: Partial<EnqueueOptions>,
  ): TaskRef;
  /** Resolves with the task's observation once it reached a terminal status (or was canceled). */
  waitForTask(taskId: string, timeoutMs?: number): Promise<TaskObservation>;
  /** Stops the runner (draining) and the emulator. */
  close(): Promise<void>;
}

let instances = 0;

const isEmulator = (value: Omit<EmulatorOptions, 'port'> | Emulator | undefined): value is Emulator =>
  value !== undefined && 'control' in value;

/**
 * Starts the Data Pipeline emulator in this process and a core Runner polling it, with your handlers:
 * the end-to-end path (poll, ack, lease, handler, SetTaskStatus) without AWS.
 *
 * @example
 * ```ts
 * const env = await startTestEnvironment({ handlers: [LocalCopyActivity] });
 * const { taskId } = env.enqueue('LocalCopyActivity', { input: '/tmp/in', output: '/tmp/out' });
 * expect((await env.waitForTask(taskId)).terminalStatus).toBe('FINISHED');
 * await env.close();
 * ```
 */
export async function startTestEnvironment(options: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const groups = options.workerGroups ?? ['test-group'];
  const registry = new HandlerRegistry();
  if (options.handlers?.length) registry.register(...options.handlers);
  for (const module of options.modules ?? []) await registry.loadModule(module, 'test module');
  const given = options.emulator;
  const shared = isEmulator(given) ? given : undefined;
  const emulator = isEmulator(given)
    ? given
    : await startEmulator({ longPollMs: 1000, timeScale: 60, ...given, port: 0 });
  const closeEmulator = () => (shared ? Promise.resolve() : emulator.close());
  const id = `tasklane-test-${++instances}`;
  let runner: Runner;
  try {
    // The runner owns the identity and hands it to the source, as in production.
    const source = new DataPipelineSource({
      endpoint: emulator.endpoint,
      clientConfig: { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    });
    runner = new Runner({
      registry,
      sources: [{ source, groups }, ...(options.sources ?? [])],
      coordinator: new InProcessCoordinator(),
      hostname: id,
      taskrunnerId: id,
      runtime: options.runtime ?? createRuntime(),
      ...(options.logger ? { logger: options.logger } : {}),
      concurrency: options.concurrency ?? 2,
      progressInterval: options.progressInterval ?? '500ms',
      shutdownTimeout: options.shutdownTimeout ?? '5s',
      abortGrace: '5s',
      pollBackoffBase: '50ms',
      pollBackoffMax: '1s',
      statusRetryBase: '50ms',
      statusRetryMax: '500ms',
      ...options.runnerOptions,
    });
    if (options.start !== false) await runner.start();
  } catch (error) {
    await closeEmulator();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    emulator,
    endpoint: emulator.endpoint,
    runner,
    registry,
    enqueue: (type, fields = {}, extra = {}) =>
      emulator.control.enqueueTask({ workerGroup: groups[0]!, ...extra, type, fields }),
    async waitForTask(taskId, timeoutMs = 30_000) {
      const done = (o: TaskObservation | undefined) =>
        o !== undefined && (o.terminalStatus !== undefined || o.canceled);
      const observations = await emulator.control.waitFor((obs) => done(obs.tasks[taskId]), timeoutMs);
      return observations.tasks[taskId]!;
    },
    close() {
      closing ??= (async () => {
        // The runner lets its in-flight polls finish (at most longPollMs) and reports running tasks first.
        await runner.stop();
        await closeEmulator();
      })();
      return closing;
    },
  };
}
