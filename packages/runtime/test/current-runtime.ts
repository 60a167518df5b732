import type { RuntimePrimitives } from '@tasklane/core';

/**
 * The runtime under test: Bun's or Deno's primitives when vitest itself runs on them (test:bun /
 * test:deno), Node's otherwise. TASKLANE_EXPECT_RUNTIME, set by those scripts, lets a test fail when a
 * run meant for Bun or Deno silently ran on Node.
 */
export async function currentRuntime(): Promise<RuntimePrimitives> {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined')
    return (await import('../src/bun.ts')).createRuntime();
  if (typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined')
    return (await import('../src/deno.ts')).createRuntime();
  return (await import('../src/node.ts')).createRuntime();
}

export const expectedRuntime = process.env.TASKLANE_EXPECT_RUNTIME ?? 'node';
