/**
 * How a real runner process starts and stops under production conditions, on Node, Bun and Deno: a
 * second signal while a 30 s poll is open, a half-open HTTP connection at stop, a handler's stray
 * promise rejection, a service that stops answering, and a machine without AWS credentials.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runnerBin, runnerEnv, startTasklane } from './runner-process.ts';

const RUNTIMES = ['node', 'bun', 'deno'] as const;
const probePlugin = fileURLToPath(new URL('./fixtures/secret-probe-plugin.mjs', import.meta.url));

/** Resolves with the exit code, or 'still running' after `ms`. */
const exitWithin = (p: GroupProcess, ms: number) =>
  Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('still running'), ms))]);

describe.each(RUNTIMES)('a runner on %s', (runtime) => {
  let emulator: Emulator;
  const procs: GroupProcess[] = [];
  const sockets: Socket[] = [];
  const start = (args: string[]) => {
    const p = startTasklane(runtime, args);
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    // Polls stay open 30 s when there is no work: what a real service does (up to 90 s).
    emulator = await startEmulator({ longPollMs: 30_000 });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(procs.splice(0).map((p) => p.stop(5000)));
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('says what it waits for on the first signal and exits at once, non-zero, on the second', async () => {
    const group = `signals-${runtime}`;
    // Started from outside the repository: bin/tasklane must work from any directory.
    const p = spawnGroup(
      runnerBin(runtime),
      ['run', '--worker-group', group, '--endpoint', emulator.endpoint],
      {
        env: runnerEnv,
        cwd: tmpdir(),
      },
    );
    procs.push(p);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    await emulator.control.waitFor((o) => (o.groups[group]?.polls ?? 0) > 0, 10_000);
    p.child.kill('SIGTERM');
    await p.waitForOutput(/waiting for the in-flight poll \(at most \d/, 10_000);
    expect(await exitWithin(p, 1500)).toBe('still running');
    p.child.kill('SIGTERM');
    expect(await exitWithin(p, 8000)).toBe(130);
    expect(p.output()).toMatch(/second shutdown signal/);
  });

  it('stops even while a client holds a half-open HTTP connection', async () => {
    const local = await startEmulator({ longPollMs: 300 });
    try {
      const port = await freePort();
      const p = start([
        'run',
        '--worker-group',
        `half-open-${runtime}`,
        '--endpoint',
        local.endpoint,
        '--http-port',
        String(port),
      ]);
      await p.waitForOutput(/tasklane runner started/, 30_000);
      // One request never finished (half-open), one finished on a keep-alive connection (idle).
      for (const request of [
        'GET /livez HTTP/1.1\r\nHost: x\r\n',
        'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n',
      ]) {
        const socket = connect(port, '127.0.0.1');
        sockets.push(socket);
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(request);
      }
      await new Promise((r) => setTimeout(r, 300));
      p.child.kill('SIGTERM');
      // The drain itself takes well under a second here (300 ms polls, no tasks).
      expect(await exitWithin(p, 8000)).toBe(0);
      expect(p.output()).toContain('tasklane runner stopped');
    } finally {
      await local.close();
    }
  });

  it('drains on POST /drain with the token: the 202 arrives, then it exits 0', async () => {
    const local = await startEmulator({ longPollMs: 300 });
    try {
      const port = await freePort();
      const token = 'lifecycle-token-0123456789';
      const p = start([
        'run',
        '--worker-group',
        `drain-${runtime}`,
        '--endpoint',
        local.endpoint,
        '--http-port',
        String(port),
        '--http-token',
        token,
      ]);
      await p.waitForOutput(/tasklane runner started/, 30_000);
      const response = await fetch(`http://127.0.0.1:${port}/drain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ state: 'draining' });
      expect(await exitWithin(p, 15_000)).toBe(0);
    } finally {
      await local.close();
    }
  });

  it('writes nothing but JSON log lines through a task and a stop, on Node 20 too', async () => {
    const group = `json-lines-${runtime}`;
    const local = await startEmulator({ longPollMs: 300 });
    try {
      // As an operator runs it: Node's warnings on, the AWS SDK's Node-version notice not turned off.
      const env: NodeJS.ProcessEnv = { ...runnerEnv, NODE_NO_WARNINGS: '0' };
      delete env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
      const p = spawnGroup(
        runnerBin(runtime),
        ['run', '--worker-group', group, '--endpoint', local.endpoint, '--log-format', 'json'],
        { env },
      );
      procs.push(p);
      await p.waitForOutput(/tasklane runner started/, 30_000);
      const { taskId } = local.control.enqueueTask({
        workerGroup: group,
        type: 'ShellCommandActivity',
        fields: { command: 'true' },
      });
      await local.control.waitFor((o) => o.tasks[taskId]?.terminalStatus === 'FINISHED', 20_000);
      p.child.kill('SIGTERM');
      expect(await exitWithin(p, 15_000)).toBe(0);
      const lines = p
        .output()
        .split('\n')
        .filter((l) => l.trim() !== '');
      const notJson = lines.filter((l) => {
        try {
          return typeof JSON.parse(l) !== 'object';
        } catch {
          return true;
        }
      });
      expect(notJson).toEqual([]);
      const started = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['msg'] === 'tasklane runner started');
      expect(started).toMatchObject({ runtime, runtimeVersion: expect.stringMatching(/^\d+\.\d+/) });
    } finally {
      await local.close();
    }
  });

  it("logs a handler's stray promise rejection and keeps running", async () => {
    const group = `rejection-${runtime}`;
    const local = await startEmulator({ longPollMs: 500 });
    try {
      const p = start([
        'run',
        '--worker-group',
        group,
        '--endpoint',
        local.endpoint,
        '--plugin',
        probePlugin,
      ]);
      await p.waitForOutput(/tasklane runner started/, 30_000);
      const first = local.control.enqueueTask({
        workerGroup: group,
        type: 'StrayRejectionActivity',
        fields: {},
      });
      await p.waitForOutput(/unhandled promise rejection/, 15_000);
      expect(p.output()).toContain('stray rejection from a handler');
      // Still alive and still working.
      const second = local.control.enqueueTask({
        workerGroup: group,
        type: 'StrayRejectionActivity',
        fields: {},
      });
      const done = await local.control.waitFor(
        (o) =>
          o.tasks[first.taskId]?.terminalStatus === 'FINISHED' &&
          o.tasks[second.taskId]?.terminalStatus === 'FINISHED',
        20_000,
      );
      expect(done.tasks[second.taskId]!.terminalStatus).toBe('FINISHED');
      expect(p.child.exitCode).toBeNull();
      p.child.kill('SIGTERM');
      expect(await exitWithin(p, 15_000)).toBe(0);
    } finally {
      await local.close();
    }
  });
});

describe('readiness follows the service', () => {
  const procs: GroupProcess[] = [];
  afterAll(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop(5000)));
  });

  it('turns 503 after 3 consecutive failed polls and 200 again once the service answers', async () => {
    const servicePort = await freePort();
    const httpPort = await freePort();
    const base = `http://127.0.0.1:${httpPort}`;
    // The endpoint points at a closed port: every poll fails.
    const p = startTasklane('node', [
      'run',
      '--worker-group',
      'readiness-service',
      '--endpoint',
      `http://127.0.0.1:${servicePort}`,
      '--http-port',
      String(httpPort),
    ]);
    procs.push(p);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 30_000 }).toBe(503);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({
      ready: false,
      state: 'running',
      service: 'down',
    });
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    const emulator = await startEmulator({ port: servicePort, longPollMs: 200 });
    try {
      await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 40_000 }).toBe(200);
    } finally {
      await p.stop(5000);
      await emulator.close();
    }
  });
});

describe('a machine without AWS credentials', () => {
  it('exits 2 with one line naming what was tried and how to use the emulator', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tasklane-nocreds-'));
    try {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(runnerEnv))
        if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
      Object.assign(env, {
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_REGION: 'us-east-1',
        // The SDK's own Node-version notice is not ours to count.
        NODE_NO_WARNINGS: '1',
      });
      const p = spawnGroup(
        runnerBin('node'),
        ['run', '--worker-group', 'nocreds', '--endpoint', 'http://127.0.0.1:1'],
        { env },
      );
      expect(await exitWithin(p, 20_000)).toBe(2);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^tasklane: no AWS credentials found \(tried AWS_ACCESS_KEY_ID/);
      expect(lines[0]).toContain('emulator');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
