import { DataPipelineSource, type SourceTask, type TaskHandlerClass, type TaskSource } from '../src/index.ts';
import {
  startHarness as startSharedHarness,
  type Harness,
  type HarnessOptions,
} from '@tasklane/test-utils/harness';

export type { Harness };

/** The shared integration harness (emulator + Runner) with these handlers registered. */
export function startHarness(
  handlers: TaskHandlerClass[],
  options: Omit<HarnessOptions, 'handlers'> = {},
): Promise<Harness> {
  return startSharedHarness({ ...options, handlers });
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A Data Pipeline source on `endpoint` whose polled tasks pass through `wrap` (a service or source that
 * misbehaves in one way); `delegate` is the task as it came, method by method, for `wrap` to override.
 */
export function wrappedSource(
  endpoint: string,
  wrap: (got: SourceTask, delegate: SourceTask, real: DataPipelineSource) => SourceTask,
): TaskSource {
  const real = new DataPipelineSource({
    endpoint,
    clientConfig: { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
  });
  return {
    kind: real.kind,
    coordinated: real.coordinated,
    isTransient: (e) => real.isTransient(e),
    isRejected: (e) => real.isRejected(e),
    async poll(group) {
      const got = await real.poll(group);
      if (!got) return null;
      const delegate: SourceTask = {
        id: got.id,
        toTask: () => got.toTask(),
        leaseTimeoutMs: got.leaseTimeoutMs,
        ack: () => got.ack(),
        progress: (f) => got.progress(f),
        complete: (outcome) => got.complete(outcome),
      };
      return wrap(got, delegate, real);
    },
  };
}
