/**
 * The per-runtime scripts (test:bun, test:deno) set TASKLANE_EXPECT_RUNTIME; this fails if the suite
 * silently ran on another runtime, so a Bun or Deno pass is a real one.
 */
import { expect, it } from 'vitest';

const actual = 'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node';

it(`runs on the expected runtime (${actual})`, () => {
  expect(actual).toBe(process.env.TASKLANE_EXPECT_RUNTIME ?? 'node');
});
