import type { RuntimePrimitives } from '@tasklane/core';

/** Which runtime executes this test file: 'bun', 'deno' or 'node'. */
export function runningOn(): 'bun' | 'deno' | 'node' {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') return 'bun';
  if (typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined') return 'deno';
  return 'node';
}

/**
 * The runtime primitives of the runtime under test (what its runner-* app would supply). test:bun /
 * test:deno set TASKLANE_EXPECT_RUNTIME so a run meant for Bun or Deno fails if it silently ran on Node.
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

export const expectedRuntime = process.env.TASKLANE_EXPECT_RUNTIME ?? 'node';
