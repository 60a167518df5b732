/**
 * Every Redis error path backs off and says so in the log, under the conditions that break it: an ACL
 * user without BLPOP (a waiter and a lease holder both block on wake lists), one without EVALSHA/EVAL,
 * and a server older than the coordinator needs.
 */
import type { Logger } from '@tasklane/core';
import { startTestRedis, type TestRedis } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MIN_REDIS_VERSION, RedisCoordinator, type RedisCoordinatorOptions } from '../src/index.ts';
import { redisVersion, versionAtLeast } from '../src/connection.ts';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Line {
  level: string;
  msg: string;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const make = (): Logger => ({
    debug: (_o, msg) => lines.push({ level: 'debug', msg: String(msg) }),
    info: (_o, msg) => lines.push({ level: 'info', msg: String(msg) }),
    warn: (_o, msg) => lines.push({ level: 'warn', msg: String(msg) }),
    error: (_o, msg) => lines.push({ level: 'error', msg: String(msg) }),
    child: () => make(),
  });
  return { logger: make(), lines };
}

let redis: TestRedis;
let admin: Redis;
let n = 0;
const open: RedisCoordinator[] = [];

function coordinator(options: RedisCoordinatorOptions): RedisCoordinator {
  const c = new RedisCoordinator({ url: redis.url, keyPrefix: `err${n}:`, leaseMs: 3000, ...options });
  open.push(c);
  return c;
}

function asUser(user: string): string {
  const u = new URL(redis.url);
  u.username = user;
  u.password = 'pw';
  return u.href;
}

beforeAll(async () => {
  redis = await startTestRedis({ forceOwned: true });
  admin = new Redis(redis.url);
  await admin.call('ACL', 'SETUSER', 'noblpop', 'on', '>pw', '~*', '&*', '+@all', '-blpop');
  await admin.call('ACL', 'SETUSER', 'noeval', 'on', '>pw', '~*', '&*', '+@all', '-evalsha', '-eval');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  n++;
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.dispose();
});

describe('Redis error paths', () => {
  it('backs off and logs when a waiter may not BLPOP', async () => {
    const holder = coordinator({});
    const { logger, lines } = capture();
    const waiter = coordinator({ url: asUser('noblpop'), logger });
    await Promise.all([holder.start(), waiter.start()]);
    const permit = await holder.acquire('g', new AbortController().signal);
    const stop = new AbortController();
    const waiting = waiter.acquire('g', stop.signal).catch(() => undefined);
    await delay(3000);
    const { commands, errors } = waiter.stats();
    stop.abort();
    await waiting;
    await permit.release();
    // Without backoff this loop ran ~4,000 EVALSHA + 4,000 BLPOP per second.
    expect(errors).toBeGreaterThanOrEqual(3);
    expect(commands).toBeLessThan(40);
    expect(lines.some((l) => l.level === 'warn' && /BLPOP\) failed; backing off/.test(l.msg))).toBe(true);
  });

  it('backs off and logs when a lease holder may not BLPOP for its watch', async () => {
    const { logger, lines } = capture();
    const holder = coordinator({ url: asUser('noblpop'), logger, keepIdleMs: 60_000 });
    await holder.start();
    // The holder keeps the lease between polls and watches for waiters with BLPOP, which fails here.
    await (await holder.acquire('g', new AbortController().signal)).release();
    await delay(3000);
    expect(holder.stats().commands).toBeLessThan(30);
    expect(lines.some((l) => l.level === 'warn' && /lease watch \(BLPOP\) failed/.test(l.msg))).toBe(true);
  });

  it('backs off and logs when scripts may not run', async () => {
    const { logger, lines } = capture();
    const c = coordinator({ url: asUser('noeval'), logger });
    await c.start();
    const stop = new AbortController();
    const acquiring = c.acquire('g', stop.signal).catch((e: unknown) => e);
    await delay(3000);
    const { commands } = c.stats();
    stop.abort();
    await acquiring;
    expect(commands).toBeLessThan(20);
    expect(lines.some((l) => l.level === 'warn' && /acquire failed/.test(l.msg))).toBe(true);
  });

  it(`refuses a server older than Redis ${MIN_REDIS_VERSION} at start with a clear error`, async () => {
    // No Redis 5 runs here: a server that answers the handshake the way Redis 5.0.14 does.
    const server: Server = createServer((socket) => {
      socket.on('data', (chunk) => {
        // One reply per command of the (pipelined) chunk, as Redis 5 gives them: no HELLO, RESP2 only.
        for (const command of chunk
          .toString('utf8')
          .split(/(?:^|\r\n)\*\d+\r\n/)
          .slice(1)) {
          const name = command.split('\r\n')[1]?.toLowerCase();
          if (name === 'hello') socket.write("-ERR unknown command 'HELLO'\r\n");
          else if (name === 'info') {
            const body = '# Server\r\nredis_version:5.0.14\r\nloading:0\r\n';
            socket.write(`$${Buffer.byteLength(body)}\r\n${body}\r\n`);
          } else socket.write('+OK\r\n');
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { logger, lines } = capture();
    const c = coordinator({ url: `redis://127.0.0.1:${port}`, logger });
    try {
      await expect(c.start()).rejects.toMatchObject({
        code: 'TL_REDIS_VERSION',
        message: expect.stringMatching(/Redis 5\.0\.14 is too old.*6\.0\.0 or newer/),
      });
      expect(c.isReady()).toBe(false);
      expect(lines.some((l) => l.level === 'error' && /too old/.test(l.msg))).toBe(true);
    } finally {
      await c.close();
      server.close();
    }
  });

  it('reads and compares server versions', () => {
    expect(redisVersion('# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n')).toBe('7.0.15');
    expect(versionAtLeast('7.0.15', '6.0.0')).toBe(true);
    expect(versionAtLeast('6.0.0', '6.0.0')).toBe(true);
    expect(versionAtLeast('5.0.14', '6.0.0')).toBe(false);
    expect(versionAtLeast('10.0', '6.0.0')).toBe(true);
  });
});
