/**
 * The fleet fixture as child processes: plain `node` on the BUILT packages, the way a deployed runner
 * runs. Shared by the fleet and blocking-holder tests.
 */
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/fleet-runner.mjs', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const builds = [
  '../dist/index.js',
  '../../core/dist/index.js',
  '../../../tools/test-utils/dist/harness/index.js',
];

/** nx builds these before `test`; a missing build is a failure, never a silent skip. */
export function requireBuilt(): void {
  if (!builds.every((path) => existsSync(new URL(path, import.meta.url))))
    throw new Error(
      'build @tasklane/core, @tasklane/coordinator-redis and @tasklane/test-utils first (nx runs build before test)',
    );
}

/** Spawns one fixture runner named `hostname`; returned at once, so the caller can track it for cleanup. */
export function spawnFleetRunner(hostname: string, env: Record<string, string>): GroupProcess {
  return spawnGroup(process.execPath, [fixture], {
    cwd: packageDir,
    env: { ...process.env, NODE_NO_WARNINGS: '1', NODE_OPTIONS: '', RUNNER_HOSTNAME: hostname, ...env },
  });
}

/** Resolves with the runner's instance id once it started polling. */
export async function fleetRunnerStarted(proc: GroupProcess): Promise<string> {
  return (await proc.waitForOutput(/"event":"started","instanceId":"([0-9a-f]+)"/, 30_000))[1]!;
}
