/**
 * test:bun and test:deno set TASKLANE_EXPECT_RUNTIME; this fails if the suite silently ran on another
 * runtime, so the drivers (pg, mysql2, pg-copy-streams) really were exercised on Bun and Deno.
 */
import { expect, it } from 'vitest';

const actual = 'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node';

it(`runs on the expected runtime (${actual})`, () => {
  expect(actual).toBe(process.env.TASKLANE_EXPECT_RUNTIME ?? 'node');
});
