import {
  DataPipelineSource,
  HandlerRegistry,
  Runner,
  type DataPipelineSourceOptions,
  type RunnerOptions,
  type SourceBinding,
  type TaskHandlerClass,
} from '@tasklane/core';
import { currentRuntime } from './runtime.ts';

/**
 * Runner timings for tests: a lease tick, poll back-off and status retries short enough that a test
 * sees several of each within a second, instead of the production minutes.
 */
export const fastRunnerTimings = {
  progressInterval: 200,
  pollBackoffBase: 50,
  pollBackoffMax: 400,
  statusRetryBase: 20,
  statusRetryMax: 100,
} as const satisfies Partial<RunnerOptions>;

/** Static credentials: the SDK insists on some, and the emulator accepts any. */
export const testCredentials = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/**
 * A Data Pipeline source that talks to `endpoint` (an emulator) through the real AWS SDK client. Its
 * hostname and taskrunnerId come from the runner serving it unless given here.
 */
export function emulatorSource(
  endpoint: string,
  options: Omit<DataPipelineSourceOptions, 'endpoint'> = {},
): DataPipelineSource {
  return new DataPipelineSource({
    ...options,
    endpoint,
    clientConfig: { credentials: testCredentials, ...options.clientConfig },
  });
}

/** Options of {@link startTestRunner}: any RunnerOptions, plus handler classes instead of a registry. */
export interface TestRunnerOptions extends Partial<Omit<RunnerOptions, 'sources'>> {
  sources: SourceBinding[];
  /** Registered on a fresh registry when `registry` is not given. */
  handlers?: TaskHandlerClass[];
  /** Start polling before returning. @default true */
  start?: boolean;
}

/**
 * A Runner with {@link fastRunnerTimings} and the runtime under test ({@link currentRuntime}); explicit
 * options win over both.
 */
export async function startTestRunner(options: TestRunnerOptions): Promise<Runner> {
  const { handlers = [], start = true, registry, ...rest } = options;
  const runner = new Runner({
    ...fastRunnerTimings,
    runtime: await currentRuntime(),
    ...rest,
    registry: registry ?? new HandlerRegistry().register(...handlers),
  });
  if (start) await runner.start();
  return runner;
}
