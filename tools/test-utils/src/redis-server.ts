import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

/** A redis-server owned by a test run (or an external one named by TASKLANE_TEST_REDIS_URL). */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** True when this helper started the server and may stop or restart it. */
  readonly owned: boolean;
  /** Stops the server (SIGKILL when `hard`); only for owned servers. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port after `stop()`. */
  start(): Promise<void>;
  /** PID of the running server, or undefined when stopped/external. */
  readonly pid: number | undefined;
  /** Stops an owned server for good and removes its directory; no-op for external servers. */
  dispose(): Promise<void>;
}

export class TestRedisUnavailableError extends Error {
  override name = 'TestRedisUnavailableError';
}

function findRedisServer(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'redis-server' : undefined;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.write('PING\r\n');
        socket.once('data', () => {
          socket.destroy();
          resolve();
        });
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`redis-server did not open port ${port} in ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Starts a private redis-server on a free port (no persistence), or uses TASKLANE_TEST_REDIS_URL.
 * Throws a TestRedisUnavailableError that says how to fix the machine when neither is possible.
 */
export async function startTestRedis(options: { forceOwned?: boolean } = {}): Promise<TestRedis> {
  const external = process.env.TASKLANE_TEST_REDIS_URL;
  if (external && !options.forceOwned) {
    const port = Number(new URL(external).port || 6379);
    return {
      url: external,
      port,
      owned: false,
      pid: undefined,
      stop: () => Promise.reject(new Error('cannot stop an external Redis (TASKLANE_TEST_REDIS_URL)')),
      start: () => Promise.resolve(),
      dispose: () => Promise.resolve(),
    };
  }
  const binary = findRedisServer();
  if (!binary) {
    throw new TestRedisUnavailableError(
      'redis-server was not found on PATH and TASKLANE_TEST_REDIS_URL is not set. ' +
        'Install it (Debian/Ubuntu: apt-get install -y redis-server) or point TASKLANE_TEST_REDIS_URL at a Redis you own.',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore', detached: false },
    );
    const exited = new Promise<never>((_, reject) =>
      child?.once('exit', (code) => reject(new Error(`redis-server exited early with code ${String(code)}`))),
    );
    await Promise.race([waitForPort(port, 10_000), exited]);
  };
  const stop = async ({ hard = false } = {}) => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await gone;
  };
  await start();
  const cleanup = () => child?.kill('SIGKILL');
  process.once('exit', cleanup);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    owned: true,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    dispose: async () => {
      process.off('exit', cleanup);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
