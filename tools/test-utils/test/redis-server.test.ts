import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestRedis } from '../src/index.ts';

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('error', reject);
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().trim());
    });
  });
}

describe('startTestRedis', () => {
  it('starts a private server on a free port, restarts it on the same port, and disposes it', async () => {
    const redis = await startTestRedis({ forceOwned: true });
    expect(redis.port).not.toBe(6379);
    expect(await ping(redis.port)).toBe('+PONG');
    await redis.stop();
    await expect(ping(redis.port)).rejects.toThrow();
    await redis.start();
    expect(await ping(redis.port)).toBe('+PONG');
    await redis.dispose();
    expect(redis.pid).toBeUndefined();
  });
});
