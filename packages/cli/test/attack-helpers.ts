/**
 * Shared set-up of the attack suites: a private redis-server with `requirepass`, real runner processes,
 * raw HTTP and TCP probes.
 */
import { startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { connect } from 'node:net';
import { startTasklane } from './runner-process.ts';

/** A password no log line, error or page may ever show. */
export const REDIS_PASSWORD = 'S3cr3t-Redis-Pa55';

/** An owned redis-server that only answers after AUTH with {@link REDIS_PASSWORD}. */
export async function startPasswordRedis(): Promise<TestRedis & { authUrl: string; admin: Redis }> {
  const redis = await startTestRedis({ forceOwned: true });
  const setup = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await setup.config('SET', 'requirepass', REDIS_PASSWORD);
  setup.disconnect();
  const authUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
  const admin = new Redis(authUrl, { maxRetriesPerRequest: 1 });
  return Object.assign(redis, { authUrl, admin });
}

/** True when a TCP connection to host:port is accepted. */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Starts `tasklane run` with the given args and waits until it says it started. */
export async function startRunner(args: string[], procs: GroupProcess[]): Promise<GroupProcess> {
  const p = startTasklane('node', ['run', ...args]);
  procs.push(p);
  await p.waitForOutput(/tasklane runner started/, 30_000);
  return p;
}

/** Runs a tasklane command to completion; resolves with its exit code and output. */
export async function runTasklane(
  args: string[],
  procs: GroupProcess[],
): Promise<{ code: number | string; output: string }> {
  const p = startTasklane('node', args);
  procs.push(p);
  const code = await p.exited;
  return { code, output: p.output() };
}
