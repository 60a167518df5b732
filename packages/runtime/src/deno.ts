import type { ProcessSpawner, RuntimePrimitives, SpawnedProcess } from '@tasklane/core';
import { mergedEnv, nodeCompatibleHost } from './host.ts';
import { groupAlive, signalGroup } from './process-group.ts';

/** The part of Deno's API this file uses. */
interface DenoChildProcess {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
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
      stdin: 'null';
      stdout: 'piped';
      stderr: 'piped';
      /** setsid() in the child: it leads a new session and process group (verified on Deno 2.9). */
      detached: boolean;
    },
  ) => { spawn(): DenoChildProcess };
};

/** A {@link ProcessSpawner} on Deno.Command, whose `detached` option puts the child in its own process group. */
export const denoSpawn: ProcessSpawner = (command, args, options): SpawnedProcess => {
  const child = new Deno.Command(command, {
    args: [...args],
    cwd: options.cwd,
    env: mergedEnv(options),
    clearEnv: true,
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
    detached: true,
  }).spawn();
  const pid = child.pid;
  return {
    pid,
    stdout: child.stdout,
    stderr: child.stderr,
    // Deno reports 128+n as the code of a signalled child; the contract says null plus the signal name.
    exited: child.status.then(({ code, signal }) => ({ code: signal ? null : code, signal })),
    killGroup: (signal) => signalGroup(pid, signal),
    groupAlive: () => groupAlive(pid),
  };
};

/** Runtime primitives for Deno; processes are spawned with Deno.Command, each in its own process group. */
export function createRuntime(): RuntimePrimitives {
  return { name: 'deno', version: Deno.version.deno, ...nodeCompatibleHost(), spawn: denoSpawn };
}

export type { RuntimePrimitives } from '@tasklane/core';
