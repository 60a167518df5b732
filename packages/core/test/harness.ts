import type { TaskHandlerClass } from '../src/index.ts';
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
