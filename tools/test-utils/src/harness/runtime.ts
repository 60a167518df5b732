import type { RuntimePrimitives } from '@tasklane/core';

export type RuntimeName = 'bun' | 'deno' | 'node';

/** Which runtime executes this code: vitest itself runs on Bun or Deno under `test:bun` / `test:deno`. */
export function runningOn(): RuntimeName {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') return 'bun';
  if (typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined') return 'deno';
  return 'node';
}

/**
 * The runtime a run is meant for. `test:bun` / `test:deno` set TASKLANE_EXPECT_RUNTIME so that a run
 * meant for Bun or Deno fails when it silently ran on Node, instead of passing on the wrong runtime.
 */
export const expectedRuntime: string = process.env.TASKLANE_EXPECT_RUNTIME ?? 'node';

/** Throws unless this process runs on {@link expectedRuntime}. */
export function assertExpectedRuntime(): void {
  const actual = runningOn();
  if (actual !== expectedRuntime)
    throw new Error(`expected to run on ${expectedRuntime}, running on ${actual}`);
}

/**
 * The primitives of the runtime under test, as its runner-* app would supply them. Loaded on demand so
 * that Node never evaluates the Bun or Deno module.
 */
export async function currentRuntime(): Promise<RuntimePrimitives> {
  switch (runningOn()) {
    case 'bun':
      return (await import('@tasklane/runtime/bun')).createRuntime();
    case 'deno':
      return (await import('@tasklane/runtime/deno')).createRuntime();
    case 'node':
      return (await import('@tasklane/runtime/node')).createRuntime();
  }
}
