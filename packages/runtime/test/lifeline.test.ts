import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimePrimitives } from '@tasklane/core';
import { gatedArgs } from '../src/lifeline.ts';
import { currentRuntime, expectedRuntime } from './current-runtime.ts';

const fixture = fileURLToPath(new URL('./fixtures/lifeline-host.mjs', import.meta.url));

/** Alive = exists and is not a zombie (this sandbox's PID 1 reaps orphans about a second late). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Live lifeline watchers of group `pgid`, found by their $0 and argument in /proc. */
function watchersOf(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('tasklane-lifeline') && argv.includes(String(pgid)) && alive(Number(entry)))
        found.push(Number(entry));
    } catch {}
  }
  return found;
}

/** The command line that runs the fixture on the runtime under test. */
function hostCommand(): [string, string[]] {
  if (expectedRuntime === 'deno') return [process.execPath, ['run', '-A', '--quiet', fixture]];
  return [process.execPath, [fixture]];
}

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

describe(`lifeline on ${expectedRuntime}`, () => {
  let runtime: RuntimePrimitives;
  beforeAll(async () => {
    runtime = await currentRuntime();
  });

  it('kill -9 of the host stops every spawned group, non-leader children included', async () => {
    if (expectedRuntime === 'node' && !existsSync(new URL('../dist/node.js', import.meta.url))) {
      throw new Error('build @tasklane/runtime first (pnpm exec tsc -p tsconfig.build.json)');
    }
    const [command, args] = hostCommand();
    const host = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    leftovers.push(host.pid!);
    let out = '';
    host.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    host.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await waitUntil(() => out.includes(']'), 20_000), out).toBe(true);
    const groups = JSON.parse(out.slice(out.indexOf('['), out.indexOf(']') + 1)) as Array<{
      leader: number;
      sleep: number;
    }>;
    const pids = groups.flatMap((g) => [g.leader, g.sleep]);
    leftovers.push(...pids);
    expect(pids.every(alive)).toBe(true);
    for (const g of groups) expect(watchersOf(g.leader)).toHaveLength(1);

    process.kill(host.pid!, 'SIGKILL');
    // SIGTERM reaches sleep at once; the bound is the watcher's 2 s grace plus a loaded machine.
    expect(await waitUntil(() => !pids.some(alive), 8000)).toBe(true);
    expect(await waitUntil(() => groups.every((g) => watchersOf(g.leader).length === 0), 5000)).toBe(true);
  });

  it('the gate runs nothing when its runner is gone before opening it, and the program in its place after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-gate-'));
    try {
      const marker = join(dir, 'ran');
      // EOF on the gate's stdin: what a runner killed between the two spawns leaves behind.
      const closed = spawnSync('/bin/sh', gatedArgs('/bin/sh', ['-c', `touch ${marker}`]), { input: '' });
      expect(closed.status).toBe(125);
      expect(existsSync(marker)).toBe(false);
      // Opened: the program replaces the gate, arguments untouched, stdin from /dev/null.
      const opened = spawnSync(
        '/bin/sh',
        gatedArgs('/bin/sh', ['-c', 'echo "$1|$2"; cat; exit 7', 'sh', 'a b', '$(x)']),
        {
          input: '\nthis line stays unread\n',
        },
      );
      expect(opened.status).toBe(7);
      expect(opened.stdout.toString()).toBe('a b|$(x)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a group that ends normally takes its watcher with it', async () => {
    const child = runtime.spawn!('/bin/sh', ['-c', 'exit 3'], {});
    expect(watchersOf(child.pid).length).toBeLessThanOrEqual(1);
    const [exit] = await Promise.all([child.exited, child.stdout.cancel(), child.stderr.cancel()]);
    expect(exit).toEqual({ code: 3, signal: null });
    expect(await waitUntil(() => watchersOf(child.pid).length === 0, 3000)).toBe(true);
  });

  it('a member outliving its leader keeps the group watched until it ends', async () => {
    const child = runtime.spawn!('/bin/sh', ['-c', 'sleep 1 & echo started'], {});
    await Promise.all([child.exited, child.stdout.cancel(), child.stderr.cancel()]);
    expect(child.groupAlive!()).toBe(true);
    expect(watchersOf(child.pid)).toHaveLength(1);
    expect(await waitUntil(() => !child.groupAlive!() && watchersOf(child.pid).length === 0, 5000)).toBe(
      true,
    );
  });
});
