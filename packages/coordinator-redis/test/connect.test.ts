import { describe, expect, it } from 'vitest';
import { redisOptionsFromUrl, RedisUrlError, redactUrl } from '../src/index.ts';

describe('redisOptionsFromUrl', () => {
  it('reads plain URLs with ACL credentials and a database', () => {
    expect(redisOptionsFromUrl('redis://app:s%40cret@cache.local:6380/2')).toEqual({
      host: 'cache.local',
      port: 6380,
      username: 'app',
      password: 's@cret',
      db: 2,
    });
    expect(redisOptionsFromUrl('redis://:pw@127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 6379,
      password: 'pw',
    });
    expect(redisOptionsFromUrl('redis://[::1]:7000')).toMatchObject({ host: '::1', port: 7000 });
  });

  it('turns on TLS for rediss://', () => {
    expect(redisOptionsFromUrl('rediss://redis.example.com')).toMatchObject({
      host: 'redis.example.com',
      port: 6379,
      tls: { servername: 'redis.example.com' },
    });
  });

  it('reads sentinel URLs', () => {
    expect(
      redisOptionsFromUrl(
        'redis+sentinel://u:p@s1:26380,s2,[::1]:26381/mymaster/3?sentinelPassword=sp&sentinelUsername=su&role=master',
      ),
    ).toEqual({
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      username: 'u',
      password: 'p',
      db: 3,
      sentinelUsername: 'su',
      sentinelPassword: 'sp',
      role: 'master',
    });
    expect(redisOptionsFromUrl('rediss+sentinel://s1/m')).toMatchObject({
      enableTLSForSentinelMode: true,
      tls: {},
      sentinelTLS: {},
    });
  });

  it.each([
    ['', /empty/],
    ['localhost:6379', /missing scheme/],
    ['http://localhost', /unsupported scheme "http:\/\/"/],
    ['redis://localhost/abc', /database must be a number/],
    ['redis+sentinel://s1', /master name/],
    ['redis+sentinel://s1:99999/m', /port out of range/],
    ['redis+sentinel://s1/m?role=boss', /role/],
  ])('rejects %j with a coded error', (url, message) => {
    let error: unknown;
    try {
      redisOptionsFromUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RedisUrlError);
    expect(error).toMatchObject({ code: 'TL_REDIS_URL' });
    expect(String((error as Error).message)).toMatch(message);
  });

  it('never shows a password in errors', () => {
    expect(redactUrl('redis://u:hunter2@h:1')).toBe('redis://u:***@h:1');
    expect(() => redisOptionsFromUrl('redis://u:hunter2@h/x')).toThrow(/u:\*\*\*@h/);
  });
});

describe('runtime', () => {
  it('names the runtime these tests run on (see test:bun / test:deno)', () => {
    const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
    const runtime = g.Bun
      ? `bun ${g.Bun.version}`
      : g.Deno
        ? `deno ${g.Deno.version.deno}`
        : `node ${process.version}`;
    console.log(`[runtime] ${runtime}`);
    expect(runtime).toMatch(/^(bun|deno|node) /);
  });
});
