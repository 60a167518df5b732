import type { RuntimePrimitives, SpawnedProcess } from '@tasklane/core';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { currentRuntime, expectedRuntime } from './current-runtime.ts';

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  let out = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>)
    out += decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe(`runtime primitives on ${expectedRuntime}`, () => {
  let runtime: RuntimePrimitives;
  beforeAll(async () => {
    runtime = await currentRuntime();
  });

  it('is the runtime this test run was meant for', () => {
    expect(runtime.name).toBe(expectedRuntime);
    expect(runtime.version).toMatch(/^\d+\.\d+/);
  });

  it('reads hostname, env and clocks', async () => {
    expect(runtime.hostname()).not.toBe('');
    expect(runtime.env('PATH')).toBeTruthy();
    expect(runtime.env('TASKLANE_SURELY_UNSET_VARIABLE')).toBeUndefined();
    expect(Math.abs(runtime.now() - Date.now())).toBeLessThan(1000);
    const a = runtime.monotonicNow();
    await new Promise((r) => setTimeout(r, 20));
    expect(runtime.monotonicNow() - a).toBeGreaterThanOrEqual(15);
  });

  it('registers and unregisters shutdown listeners', () => {
    const before = process.listenerCount('SIGTERM');
    const off = runtime.onShutdownSignal!(() => {});
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    off();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('spawns with cwd and merged env, streaming stdout and stderr', async () => {
    const dir = realpathSync(mkdtempSync(`${tmpdir()}/tl-rt-`));
    const child = runtime.spawn!(
      '/bin/sh',
      ['-c', 'pwd; echo "$TL_X $1"; echo oops >&2; exit 7', 'sh', 'a b'],
      { cwd: dir, env: { TL_X: 'x1' } },
    );
    const [out, err, exit] = await Promise.all([text(child.stdout), text(child.stderr), child.exited]);
    expect(out).toBe(`${dir}\nx1 a b\n`);
    expect(err).toBe('oops\n');
    expect(exit).toEqual({ code: 7, signal: null });
  });

  it('keeps the host environment (PATH) when env is given', async () => {
    const child = runtime.spawn!('/bin/sh', ['-c', 'echo "$PATH"'], { env: { TL_Y: '1' } });
    const [out] = await Promise.all([text(child.stdout), text(child.stderr), child.exited]);
    expect(out.trim()).toBe(process.env.PATH);
  });

  it('starts the child as leader of its own process group', async () => {
    const child = runtime.spawn!('/bin/sh', ['-c', 'sleep 5'], {});
    try {
      expect(pgidOf(child.pid)).toBe(child.pid);
      expect(pgidOf(child.pid)).not.toBe(pgidOf(process.pid));
      expect(child.groupAlive!()).toBe(true);
    } finally {
      child.killGroup('SIGKILL');
    }
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('killGroup reaches grandchildren, even ones that outlive the leader', async () => {
    const child: SpawnedProcess = runtime.spawn!(
      '/bin/sh',
      ['-c', 'sleep 30 & sleep 30 & echo started; wait'],
      {},
    );
    const reader = child.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('started');
    child.killGroup('SIGTERM');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await waitUntil(() => !child.groupAlive!(), 5000)).toBe(true);
    reader.releaseLock();
    await child.stderr.cancel();
  });

  it('signalling a finished group is harmless', async () => {
    const child = runtime.spawn!('/bin/sh', ['-c', 'exit 0'], {});
    await Promise.all([text(child.stdout), text(child.stderr), child.exited]);
    expect(await waitUntil(() => !child.groupAlive!(), 5000)).toBe(true);
    expect(() => child.killGroup('SIGTERM')).not.toThrow();
  });

  it('fails clearly when the working directory does not exist', () => {
    expect(() => runtime.spawn!('/bin/sh', ['-c', 'true'], { cwd: '/nonexistent/tasklane-dir' })).toThrow();
  });

  it('applies backpressure: an unread stream does not buffer a fast writer', async () => {
    const rss = process.memoryUsage().rss;
    const child = runtime.spawn!('/bin/sh', ['-c', 'head -c 200000000 /dev/zero'], {});
    // Unread for a while: with backpressure the writer blocks on a full pipe instead of filling our heap.
    await new Promise((r) => setTimeout(r, 500));
    expect(process.memoryUsage().rss - rss).toBeLessThan(32 * 1024 * 1024);
    let bytes = 0;
    for await (const chunk of child.stdout as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
    await Promise.all([child.exited, child.stderr.cancel()]);
    expect(bytes).toBe(200_000_000);
  });
});
