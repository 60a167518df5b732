import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  DataPipelineClient,
  PutPipelineDefinitionCommand,
} from '@aws-sdk/client-data-pipeline';
import { definitionToWireObjects } from '@tasklane/core';
import type { Emulator } from '@tasklane/emulator';
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type RuntimeName = 'node' | 'bun' | 'deno';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const runnerBin = (runtime: RuntimeName) =>
  fileURLToPath(new URL(`../../../apps/runner-${runtime}/bin/tasklane`, import.meta.url));

/** Fake credentials and a region: the emulator accepts any signature. */
export const fakeAws = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
};

/**
 * `bin/tasklane run` of a runtime app with the shell and SQL plugins, in its own process group, started
 * from this package's directory so `--plugin @tasklane/handlers-sql` resolves to it. The endpoint is
 * given as TASKLANE_ENDPOINT, which the handlers also read to describe referenced objects.
 */
export function startRunner(
  runtime: RuntimeName,
  emulator: Emulator,
  workerGroup: string,
  extraEnv = {},
): GroupProcess {
  return spawnGroup(
    runnerBin(runtime),
    [
      'run',
      '--worker-group',
      workerGroup,
      '--plugin',
      '@tasklane/handlers-shell',
      '--plugin',
      '@tasklane/handlers-sql',
    ],
    {
      cwd: packageDir,
      env: { ...process.env, ...fakeAws, NO_COLOR: '1', TASKLANE_ENDPOINT: emulator.endpoint, ...extraEnv },
    },
  );
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The Node runner loads this package from dist (Bun and Deno take src), and nx builds only a package's
 * dependencies before its tests: rebuild here when dist is missing or older than src.
 */
export function ensureBuilt(): void {
  const built = (() => {
    try {
      return statSync(join(packageDir, 'dist', 'index.js')).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built >= newestMtime(join(packageDir, 'src'))) return;
  const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'inherit' });
}

/** Creates, defines and activates a pipeline from an aws-cli style definition; returns its id. */
export async function activatePipeline(
  emulator: Emulator,
  definition: { objects: unknown[] },
): Promise<string> {
  const client = new DataPipelineClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const { pipelineId } = await client.send(
      new CreatePipelineCommand({ name: `sql-e2e-${Date.now()}`, uniqueId: `u-${Math.random()}` }),
    );
    const pipelineObjects = definitionToWireObjects(definition);
    const put = await client.send(new PutPipelineDefinitionCommand({ pipelineId, pipelineObjects }));
    if (put.errored) throw new Error(`definition rejected: ${JSON.stringify(put.validationErrors)}`);
    await client.send(new ActivatePipelineCommand({ pipelineId }));
    return pipelineId!;
  } finally {
    client.destroy();
  }
}

/** Component id of an attempt id `@Load_2024-…_Attempt=1`. */
export const componentOf = (attemptId: string) => attemptId.slice(1).split('_')[0]!;

/**
 * Waits until every named component of the pipeline has a task that ended, and returns the last
 * task of each: terminal status and error message.
 */
export async function waitForComponents(
  emulator: Emulator,
  pipelineId: string,
  components: string[],
  timeoutMs = 90_000,
): Promise<Record<string, { status: string; errorId?: string; errorMessage?: string }>> {
  const pick = () => {
    const out: Record<string, { status: string; errorId?: string; errorMessage?: string }> = {};
    for (const task of Object.values(emulator.control.observations().tasks)) {
      if (task.pipelineId !== pipelineId || task.terminalStatus === undefined) continue;
      out[componentOf(task.attemptId)] = {
        status: task.terminalStatus,
        ...(task.errorId ? { errorId: task.errorId } : {}),
        ...(task.errorMessage ? { errorMessage: task.errorMessage } : {}),
      };
    }
    return out;
  };
  await emulator.control.waitFor(() => components.every((c) => pick()[c] !== undefined), timeoutMs);
  return pick();
}
