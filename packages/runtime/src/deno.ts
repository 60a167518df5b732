import process from 'node:process';
import type { ProcessSpawner, RuntimePrimitives, SpawnedProcess } from '@tasklane/core';
import { mergedEnv, nodeCompatibleHost } from './host.ts';
import { gatedArgs, releaseWhenGroupEnds, watcherArgs } from './lifeline.ts';
import { groupAlive, signalGroup } from './process-group.ts';

/** The part of Deno's API this file uses. */
interface DenoChildProcess {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal: 'SIGKILL'): void;
  unref(): void;
}
declare const Deno: {
  readonly version: { readonly deno: string };
  Command: new (
    command: string,
    options: {
      args: string[];
      cwd?: string;
      env?: Record<string, string>;
      clearEnv: boolean;
      stdin: 'null' | 'piped';
      stdout: 'piped' | 'null';
      stderr: 'piped' | 'null';
      /** setsid() in the child: it leads a new session and process group (verified on Deno 2.9). */
      detached: boolean;
    },
  ) => { spawn(): DenoChildProcess };
};

/** The lifeline watcher of group `pgid` (see lifeline.ts); it holds neither our event loop nor the group. */
function watchGroup(pgid: number, exited: Promise<unknown>): void {
  let watcher: DenoChildProcess;
  try {
    watcher = new Deno.Command('/bin/sh', {
      args: watcherArgs(pgid),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      clearEnv: true,
      stdin: 'piped',
      stdout: 'null',
      stderr: 'null',
      detached: true,
    }).spawn();
  } catch {
    return; // a watcher that failed to start only loses the kill -9 guarantee
  }
  watcher.unref();
  watcher.status.catch(() => {});
  releaseWhenGroupEnds(pgid, exited, () => {
    try {
      watcher.kill('SIGKILL');
    } catch {
      // already gone
    }
  });
}

/** A {@link ProcessSpawner} on Deno.Command, whose `detached` option puts the child in its own process group. */
export const denoSpawn: ProcessSpawner = (command, args, options): SpawnedProcess => {
  const child = new Deno.Command('/bin/sh', {
    args: gatedArgs(command, args),
    cwd: options.cwd,
    env: mergedEnv(options),
    clearEnv: true,
    stdin: 'piped',
    stdout: 'piped',
    stderr: 'piped',
    detached: true,
  }).spawn();
  const pid = child.pid;
  // Deno reports 128+n as the code of a signalled child; the contract says null plus the signal name.
  const exited = child.status.then(({ code, signal }) => ({ code: signal ? null : code, signal }));
  watchGroup(pid, exited);
  // Opens the gate: the watcher is running, so the command may start.
  const gate = child.stdin.getWriter();
  gate
    .write(new Uint8Array([10]))
    .then(() => gate.close())
    .catch(() => {});
  return {
    pid,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    killGroup: (signal) => signalGroup(pid, signal),
    groupAlive: () => groupAlive(pid),
  };
};

/** Runtime primitives for Deno; processes are spawned with Deno.Command, each in its own process group. */
export function createRuntime(): RuntimePrimitives {
  return { name: 'deno', version: Deno.version.deno, ...nodeCompatibleHost(), spawn: denoSpawn };
}

export type { RuntimePrimitives } from '@tasklane/core';
