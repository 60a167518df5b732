/**
 * kill -9 of a real `tasklane run` (this runtime's bin/tasklane) while a shell task's `sleep` runs: the
 * sleep must be gone within seconds, not live on under PID 1 while the service re-offers its task.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedRuntime, waitForFile } from './harness.ts';

const bin = fileURLToPath(new URL(`../../../apps/runner-${expectedRuntime}/bin/tasklane`, import.meta.url));

/** Exists and is not a zombie (an init that reaps slowly keeps zombies around for a second). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}

/** For a failure message: the process's state and parent, and the lifeline watchers still around. */
function processReport(pid: number): string {
  const stat = (p: number | string) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8').trim();
    } catch {
      return 'gone';
    }
  };
  const watchers = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('tasklane-lifeline');
      } catch {
        return false;
      }
    });
  const cmdline = (p: number | string) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 200);
    } catch {
      return 'gone';
    }
  };
  const chain: string[] = [];
  for (let p = pid, i = 0; p > 1 && i < 4; i++) {
    const ppid = Number(stat(p).split(') ')[1]?.split(' ')[1]);
    chain.push(`${p} ${cmdline(p)}`);
    if (!Number.isInteger(ppid)) break;
    p = ppid;
  }
  return `chain: ${chain.join(' <- ')}; watchers: ${watchers.map((w) => cmdline(w).slice(-40)).join(' | ') || 'none'}`;
}

let emulator: Emulator;
let dir: string;
let runner: ChildProcess | undefined;
const strays: number[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ longPollMs: 1000 });
  dir = mkdtempSync(join(tmpdir(), 'tl-orphans-'));
});
afterAll(async () => {
  for (const pid of [...(runner?.pid ? [-runner.pid] : []), ...strays]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`shell children after kill -9 of the runner (${expectedRuntime})`, () => {
  it('are stopped within a few seconds', async () => {
    const group = `orphans-${expectedRuntime}`;
    // Its own process group, so cleanup can reach it by pgid whatever happens.
    runner = spawn(
      bin,
      ['run', '--worker-group', group, '--endpoint', emulator.endpoint, '--log-level', 'warn'],
      {
        detached: true,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_REGION: 'us-east-1',
          TASKLANE_WORK_DIR: dir,
        },
      },
    );
    const exited = new Promise((resolve) => runner!.once('exit', resolve));
    const pidFile = join(dir, 'sleep.pid');
    emulator.control.enqueueTask({
      workerGroup: group,
      fields: { command: `sleep 300 & echo $! > ${pidFile}; wait` },
    });
    const sleepPid = Number(await waitForFile(pidFile, 30_000));
    strays.push(sleepPid);
    expect(alive(sleepPid)).toBe(true);

    const before = processReport(sleepPid);
    process.kill(runner.pid!, 'SIGKILL');
    await exited;
    const killedAt = Date.now();
    // SIGTERM reaches the sleep at once; the bound leaves room for a heavily loaded machine.
    while (alive(sleepPid) && Date.now() - killedAt < 12_000) await new Promise((r) => setTimeout(r, 50));
    expect(
      alive(sleepPid),
      `sleep ${sleepPid} still running 12 s after kill -9 of the runner: ${processReport(sleepPid)}; before the kill: ${before}`,
    ).toBe(false);
    expect(Date.now() - killedAt).toBeLessThan(12_000);
  });
});
