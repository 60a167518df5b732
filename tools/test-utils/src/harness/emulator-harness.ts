import type { DataPipelineSource, HandlerRegistry, Runner, SourceBinding } from '@tasklane/core';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type EnqueueFieldValue,
  type EnqueueTaskSpec,
  type TaskObservation,
  type TaskRef,
} from '@tasklane/emulator';
import { emulatorSource, startTestRunner, type TestRunnerOptions } from './runner.ts';

/** Options of {@link startHarness}. */
export interface HarnessOptions extends Omit<TestRunnerOptions, 'sources'> {
  /** Options for a fresh emulator, or a running one to share (then close() leaves it running). */
  emulator?: EmulatorOptions | Emulator;
  /** Worker groups served from the emulator. @default one group unique to this process and harness */
  groups?: string[];
  /** More bindings served by the same runner (a BullMQ queue, a second emulator, ...). */
  sources?: SourceBinding[];
}

/** The Data Pipeline emulator plus a Runner polling it through the real AWS SDK client. */
export interface Harness {
  readonly emulator: Emulator;
  readonly runner: Runner;
  readonly registry: HandlerRegistry;
  readonly source: DataPipelineSource;
  /** The first of {@link groups}: the default for {@link enqueue}. */
  readonly group: string;
  readonly groups: string[];
  /** Queues a task of `type`; `workerGroup` defaults to {@link group}. */
  enqueue(
    type: string,
    fields?: Record<string, EnqueueFieldValue>,
    options?: Partial<Omit<EnqueueTaskSpec, 'type' | 'fields'>>,
  ): TaskRef;
  /** Resolves once the task reached a terminal status (or was canceled). */
  waitForTask(taskId: string, timeoutMs?: number): Promise<TaskObservation>;
  /** Stops the runner (draining), then the emulator unless it was passed in. Safe to call twice. */
  close(): Promise<void>;
}

let harnesses = 0;

const isEmulator = (value: EmulatorOptions | Emulator | undefined): value is Emulator =>
  value !== undefined && 'control' in value && 'endpoint' in value;

/** Starts an emulator (short long polls by default) and a test runner serving it. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { emulator: given, groups: named, sources = [], ...runnerOptions } = options;
  const id = `${process.pid}-${++harnesses}`;
  const groups = named ?? [`wg-${id}`];
  const emulator = isEmulator(given) ? given : await startEmulator({ longPollMs: 500, ...given });
  const ownsEmulator = !isEmulator(given);
  // The source reports the runner's own identity, as in production.
  const source = emulatorSource(emulator.endpoint, {
    taskrunnerId: runnerOptions.taskrunnerId ?? `runner-${id}`,
    ...(runnerOptions.hostname === undefined ? {} : { hostname: runnerOptions.hostname }),
  });
  let runner: Runner;
  try {
    runner = await startTestRunner({ ...runnerOptions, sources: [{ source, groups }, ...sources] });
  } catch (error) {
    if (ownsEmulator) await emulator.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    emulator,
    runner,
    registry: runner.registry,
    source,
    group: groups[0]!,
    groups,
    enqueue: (type, fields = {}, extra = {}) =>
      emulator.control.enqueueTask({ workerGroup: groups[0]!, ...extra, type, fields }),
    async waitForTask(taskId, timeoutMs = 15_000) {
      const settled = (o: TaskObservation | undefined) =>
        o !== undefined && (o.terminalStatus !== undefined || o.canceled);
      const seen = await emulator.control.waitFor((obs) => settled(obs.tasks[taskId]), timeoutMs);
      return seen.tasks[taskId]!;
    },
    close() {
      closing ??= (async () => {
        await runner.stop();
        if (ownsEmulator) await emulator.close();
      })();
      return closing;
    },
  };
}
