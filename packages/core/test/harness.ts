import { startEmulator, type Emulator, type EmulatorOptions } from '@tasklane/emulator';
import {
  DataPipelineSource,
  HandlerRegistry,
  Runner,
  type RunnerHooks,
  type RunnerOptions,
  type TaskHandlerClass,
} from '../src/index.ts';

/** An emulator plus a runner wired to it through the real AWS SDK client. */
export interface Harness {
  emulator: Emulator;
  runner: Runner;
  source: DataPipelineSource;
  group: string;
  close(): Promise<void>;
}

let counter = 0;

export async function startHarness(
  handlers: TaskHandlerClass[],
  options: Partial<Omit<RunnerOptions, 'registry' | 'sources'>> & {
    emulator?: EmulatorOptions;
    hooks?: RunnerHooks[];
    start?: boolean;
  } = {},
): Promise<Harness> {
  const emulator = await startEmulator({ longPollMs: 500, ...options.emulator });
  const group = `wg-${process.pid}-${++counter}`;
  const source = new DataPipelineSource({
    endpoint: emulator.endpoint,
    hostname: 'test-host',
    taskrunnerId: `runner-${counter}`,
    clientConfig: { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
  });
  const runner = new Runner({
    registry: new HandlerRegistry().register(...handlers),
    sources: [{ source, groups: [group] }],
    progressInterval: 200,
    pollBackoffBase: 50,
    pollBackoffMax: 400,
    statusRetryBase: 20,
    statusRetryMax: 100,
    ...options,
  });
  if (options.start !== false) await runner.start();
  return {
    emulator,
    runner,
    source,
    group,
    async close() {
      await runner.stop();
      await emulator.close();
    },
  };
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
