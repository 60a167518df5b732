import type { RunnerOptions, SourceBinding, TaskHandlerClass } from '@tasklane/core';
import type { Emulator, EmulatorOptions } from '@tasklane/emulator';
import { startTestEnvironment, type TestEnvironment } from '@tasklane/testing';
import { fastRunnerTimings } from './runner.ts';
import { currentRuntime } from './runtime.ts';

/** Options of {@link startHarness}: any RunnerOptions, plus what the environment is made of. */
export interface HarnessOptions extends Partial<Omit<RunnerOptions, 'registry' | 'sources'>> {
  handlers?: TaskHandlerClass[];
  /**
   * Options for a fresh emulator (real time, 500 ms long polls unless told otherwise), or a running one
   * to share: close() then leaves it running.
   */
  emulator?: Omit<EmulatorOptions, 'port'> | Emulator;
  /** More bindings served by the same runner (a BullMQ queue, a refusing source, ...). */
  sources?: SourceBinding[];
  /** Worker groups served. @default one group unique to this process and harness */
  groups?: string[];
  /** Start polling before returning. @default true */
  start?: boolean;
}

/** The public kit's test environment plus the group it serves by default. */
export interface Harness extends TestEnvironment {
  /** The first worker group: the default for {@link TestEnvironment.enqueue}. */
  readonly group: string;
}

let harnesses = 0;

/**
 * The Data Pipeline emulator plus a Runner polling it through the real AWS SDK client: the public kit's
 * `startTestEnvironment` (so Tasklane's own tests run the path plugin authors get), with test timings
 * ({@link fastRunnerTimings}), the runtime under test and a fresh worker group.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { handlers, emulator, groups, start, sources, ...runnerOptions } = options;
  const workerGroups = groups ?? [`wg-${process.pid}-${++harnesses}`];
  const env = await startTestEnvironment({
    ...(handlers ? { handlers } : {}),
    ...(start === undefined ? {} : { start }),
    workerGroups,
    emulator: emulator && 'control' in emulator ? emulator : { longPollMs: 500, timeScale: 1, ...emulator },
    ...(sources ? { sources } : {}),
    runtime: await currentRuntime(),
    runnerOptions: { ...fastRunnerTimings, ...runnerOptions },
  });
  return { ...env, group: workerGroups[0]! };
}
