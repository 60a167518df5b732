import { spawn } from 'node:child_process';
import process from 'node:process';
import type { ProcessSpawner, SpawnedProcess } from '@tasklane/core';
import { mergedEnv } from './host.ts';
import { toWebStream } from './node-stream.ts';
import { gatedArgs, releaseWhenGroupEnds, watcherArgs } from './lifeline.ts';
import { groupAlive, signalGroup } from './process-group.ts';

/**
 * Starts the lifeline watcher of group `pgid` (see lifeline.ts): the pipe on its stdin is the only
 * thing tying it to us, and neither the watcher nor the pipe keeps our event loop alive.
 */
function watchGroup(pgid: number, exited: Promise<unknown>): void {
  const watcher = spawn('/bin/sh', watcherArgs(pgid), {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  watcher.on('error', () => {}); // a watcher that failed to start only loses the kill -9 guarantee
  watcher.stdin?.on('error', () => {});
  watcher.unref();
  (watcher.stdin as { unref?: () => void } | null)?.unref?.();
  releaseWhenGroupEnds(pgid, exited, () => watcher.kill('SIGKILL'));
}

/**
 * A {@link ProcessSpawner} on node:child_process. `detached: true` makes the child a session and
 * process-group leader (setsid), so `killGroup` reaches everything it started; a lifeline watcher stops
 * the group if this process dies without doing so.
 */
export const nodeSpawn: ProcessSpawner = (command, args, options): SpawnedProcess => {
  const child = spawn('/bin/sh', gatedArgs(command, args), {
    cwd: options.cwd,
    env: mergedEnv(options),
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', reject);
  });
  const pid = child.pid;
  if (pid === undefined || !child.stdin || !child.stdout || !child.stderr) {
    // Node reports the reason (ENOENT, EACCES, bad cwd) asynchronously; surface it through the throw.
    exited.catch(() => {});
    throw new Error(`could not start ${JSON.stringify(command)} (cwd ${options.cwd ?? '.'}): spawn failed`);
  }
  watchGroup(pid, exited);
  // Opens the gate: the watcher is running, so the command may start.
  child.stdin?.on('error', () => {});
  child.stdin?.end('\n');
  return {
    pid,
    stdout: toWebStream(child.stdout),
    stderr: toWebStream(child.stderr),
    exited,
    killGroup: (signal) => signalGroup(pid, signal),
    groupAlive: () => groupAlive(pid),
  };
};
