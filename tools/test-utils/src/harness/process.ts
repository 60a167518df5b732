import { fileURLToPath } from 'node:url';
import { spawnGroup, type GroupProcess } from '../processes.ts';
import type { RuntimeName } from './runtime.ts';

/** The real `bin/tasklane` of a runtime app, the way an operator starts a runner. */
export const tasklaneBin = (runtime: RuntimeName): string =>
  fileURLToPath(new URL(`../../../../apps/runner-${runtime}/bin/tasklane`, import.meta.url));

/** Fake credentials and a region (the emulator accepts any signature), and no colour in the logs. */
export const tasklaneEnv: NodeJS.ProcessEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  NO_COLOR: '1',
};

/** Starts `bin/tasklane <args>` of `runtime` in its own process group (stopped by PID, never by name). */
export function startTasklane(
  runtime: RuntimeName,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): GroupProcess {
  return spawnGroup(tasklaneBin(runtime), args, { env: { ...tasklaneEnv, ...env } });
}
