/**
 * Small CLI fixes: `--plugin` paths resolve against the process's real working directory (not $PWD), and
 * a missing optional peer is a usage error naming the package to install.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { spawnGroup } from '@tasklane/test-utils';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/index.ts';
import { missingPeer } from '../src/peer-import.ts';
import { captureHost } from './host.ts';
import { runnerBin, runnerEnv } from './runner-process.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('--plugin with a relative path', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ longPollMs: 300 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('resolves against the real cwd even when PWD says otherwise', async () => {
    const runner = spawnGroup(
      runnerBin('node'),
      ['run', '--worker-group', 'cwd', '--endpoint', emulator.endpoint, '--plugin', './echo-plugin.mjs'],
      // A shell that cd'ed without updating PWD, or a supervisor that set it: the real cwd wins.
      { cwd: fixtures, env: { ...runnerEnv, PWD: tmpdir() } },
    );
    try {
      await runner.waitForOutput(/tasklane runner started/, 30_000);
      expect(runner.output()).toContain('EchoActivity');
    } finally {
      await runner.stop(5000);
    }
  });
});

describe('missing optional peers', () => {
  let dir = '';
  beforeAll(() => {
    // A directory with no node_modules anywhere above it that holds these packages.
    dir = mkdtempSync(join(tmpdir(), 'tl-peer-'));
    writeFileSync(join(dir, 'uses-emulator.mjs'), "import '@tasklane/emulator';\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the package to install for a real module-not-found error ', async () => {
    const esm = await import(pathToFileURL(join(dir, 'uses-emulator.mjs')).href).catch((e: unknown) => e);
    const error = missingPeer(esm, 'emulator');
    expect(error?.option).toBe('@tasklane/emulator');
    expect(error?.message).toMatch(
      /emulator: needs the optional package @tasklane\/emulator .*npm install @tasklane\/emulator/,
    );
  });

  it('leaves other errors alone', async () => {
    const other = await import(pathToFileURL(join(dir, 'nope.mjs')).href).catch((e: unknown) => e);
    expect(missingPeer(other, 'run')).toBeUndefined();
    expect(missingPeer(new Error('boom'), 'run')).toBeUndefined();
  });
});

describe('--redis-url with several hosts', () => {
  it('accepts the Sentinel and Cluster forms (no WHATWG URLs) and still refuses other schemes', () => {
    for (const url of [
      'redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster',
      'rediss+sentinel://s1,s2/mymaster',
      'redis+cluster://10.0.0.1:7000,10.0.0.2:7001',
      'rediss+cluster://:secret@c1:6379,c2:6379',
    ])
      expect(
        resolveRunConfig(['--worker-group', 'g', '--redis-url', url], captureHost()).config.redisUrl,
      ).toBe(url);
    expect(() =>
      resolveRunConfig(['--worker-group', 'g', '--redis-url', 'memcached+cluster://h1,h2'], captureHost()),
    ).toThrow(/--redis-url/);
    expect(() =>
      resolveRunConfig(['--worker-group', 'g', '--redis-url', 'not a url'], captureHost()),
    ).toThrow(/--redis-url/);
  });
});
