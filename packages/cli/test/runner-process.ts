import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { fileURLToPath } from 'node:url';

export type RuntimeName = 'node' | 'bun' | 'deno';

/** The real bin/tasklane of a runtime app. */
export const runnerBin = (runtime: RuntimeName) =>
  fileURLToPath(new URL(`../../../apps/runner-${runtime}/bin/tasklane`, import.meta.url));

/** Fake credentials and a region: the emulator accepts any signature. */
export const runnerEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  NO_COLOR: '1',
};

/** Starts `bin/tasklane <args>` in its own process group. */
export function startTasklane(runtime: RuntimeName, args: string[]): GroupProcess {
  return spawnGroup(runnerBin(runtime), args, { env: runnerEnv });
}
