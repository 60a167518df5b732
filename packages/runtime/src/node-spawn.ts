import { spawn } from 'node:child_process';
import type { ProcessSpawner, SpawnedProcess } from '@tasklane/core';
import { mergedEnv } from './host.ts';
import { toWebStream } from './node-stream.ts';
import { groupAlive, signalGroup } from './process-group.ts';

/**
 * A {@link ProcessSpawner} on node:child_process. `detached: true` makes the child a session and
 * process-group leader (setsid), so `killGroup` reaches everything it started.
 */
export const nodeSpawn: ProcessSpawner = (command, args, options): SpawnedProcess => {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: mergedEnv(options),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', reject);
  });
  const pid = child.pid;
  if (pid === undefined || !child.stdout || !child.stderr) {
    // Node reports the reason (ENOENT, EACCES, bad cwd) asynchronously; surface it through the throw.
    exited.catch(() => {});
    throw new Error(`could not start ${JSON.stringify(command)} (cwd ${options.cwd ?? '.'}): spawn failed`);
  }
  return {
    pid,
    stdout: toWebStream(child.stdout),
    stderr: toWebStream(child.stderr),
    exited,
    killGroup: (signal) => signalGroup(pid, signal),
    groupAlive: () => groupAlive(pid),
  };
};
