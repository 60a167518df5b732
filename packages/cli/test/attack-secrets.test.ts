/**
 * The attack suite, part 2: secrets. Whoever reads logs, error output, `--print-config`, the dashboard
 * API or Redis itself, and whoever writes a pipeline definition (and so the commands a runner executes),
 * must not learn the runner's secrets. Real runner processes, real redis-server with `requirepass`.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, spawnGroup, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import type { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_PASSWORD, runTasklane, startPasswordRedis, startRunner } from './attack-helpers.ts';
import { runnerBin, runnerEnv } from './runner-process.ts';

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
const TOKEN = 'print-config-token-0123456789abcdef';
const probePlugin = fileURLToPath(new URL('./fixtures/secret-probe-plugin.mjs', import.meta.url));

let redis: TestRedis & { authUrl: string; admin: Redis };
let dir: string;
const procs: GroupProcess[] = [];

beforeAll(async () => {
  redis = await startPasswordRedis();
  dir = mkdtempSync(join(tmpdir(), 'tasklane-attack-'));
});

afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop(5000)));
  redis?.admin.disconnect();
  await redis?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Every value stored under the queue's keys, as text. */
async function queueContents(queue: string): Promise<string> {
  const keys = await redis.admin.keys(`bull:${queue}:*`);
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis.admin.type(key);
    if (type === 'hash') parts.push(JSON.stringify(await redis.admin.hgetall(key)));
    else if (type === 'string') parts.push((await redis.admin.get(key)) ?? '');
    else if (type === 'list') parts.push(JSON.stringify(await redis.admin.lrange(key, 0, -1)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.admin.zrange(key, '0', '-1')));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.admin.xrange(key, '-', '+')));
  }
  return parts.join('\n');
}

describe('secrets in logs and error output', () => {
  it('never logs the Redis password, not even through ioredis command arguments', async () => {
    const wrong = 'Wr0ng-Pa55word-Attack';
    const p = spawnGroup(
      runnerBin('node'),
      [
        'run',
        '--source',
        'bullmq',
        '--queue',
        'leak',
        '--redis-url',
        `redis://:${wrong}@127.0.0.1:${redis.port}`,
      ],
      { env: runnerEnv },
    );
    procs.push(p);
    // The failed AUTH is reported (so the vector really ran) ...
    await p.waitForOutput(/WRONGPASS|invalid username-password|NOAUTH/i, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    // ... without the password it tried, and without ioredis's command/args.
    expect(p.output()).not.toContain(wrong);
    expect(p.output()).not.toMatch(/"args"\s*:/);
    await p.stop(5000);
  });

  it('masks URL passwords in usage errors (exit 2, the option named)', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['run', '--worker-group', 'g', '--redis-url', 'redis://user:pa/ss-Attack@127.0.0.1:1'],
        'pa/ss-Attack',
      ],
      [
        // No master name: refused by the coordinator's URL check (the scheme itself is accepted).
        ['run', '--worker-group', 'g', '--redis-url', 'rediss+sentinel://:SentinelPw-Attack@h:26379'],
        'SentinelPw-Attack',
      ],
      [
        ['enqueue', '--redis-url', 'redis://u:Enq/Pw-Attack@x', '--queue', 'q', '--name', 'N'],
        'Enq/Pw-Attack',
      ],
    ];
    for (const [args, secret] of cases) {
      const { code, output } = await runTasklane(args, procs);
      expect(code, output).toBe(2);
      expect(output).toContain('--redis-url');
      expect(output).not.toContain(secret);
      expect(output).not.toContain(secret.split('/').pop()!);
    }
  });

  it('masks secrets in --print-config: URL userinfo, sentinelPassword, the ops token and the secret key', async () => {
    const { code, output } = await runTasklane(
      [
        'run',
        '--worker-group',
        'g',
        '--redis-url',
        'redis+sentinel://:UserinfoPw-Attack@127.0.0.1:26379/mymaster?sentinelPassword=QueryPw-Attack&db=0',
        '--http-token',
        TOKEN,
        '--secret-key',
        SECRET_KEY,
        '--print-config',
      ],
      procs,
    );
    expect(code).toBe(0);
    for (const secret of ['UserinfoPw-Attack', 'QueryPw-Attack', TOKEN, SECRET_KEY])
      expect(output).not.toContain(secret);
    expect(output).toContain('sentinelPassword=***');
    expect(output).toContain('"db=0'.slice(1));
  });
});

describe('secret pipeline fields in BullMQ job data', () => {
  const definition = (queueSecret: string, outFile: string) => ({
    objects: [
      { id: 'Default', name: 'Default', scheduleType: 'ondemand' },
      { id: 'Probe', name: 'Probe', type: 'SecretProbeActivity', '*password': queueSecret, outFile },
    ],
  });

  it('refuses to store a *-prefixed field without a key: exit 2, nothing written to Redis', async () => {
    const queue = `secrets-refused-${Date.now()}`;
    const file = join(dir, 'refused.json');
    writeFileSync(file, JSON.stringify(definition('Refused-Pw-Attack', join(dir, 'never'))));
    const { code, output } = await runTasklane(
      ['enqueue', '--redis-url', redis.authUrl, '--queue', queue, '--definition', file],
      procs,
    );
    expect(code).toBe(2);
    expect(output).toContain('*password');
    expect(output).toContain('--secret-key');
    expect(await redis.admin.keys(`bull:${queue}:*`)).toEqual([]);
    const single = await runTasklane(
      [
        'enqueue',
        '--redis-url',
        redis.authUrl,
        '--queue',
        queue,
        '--name',
        'X',
        '--data',
        '{"*apiToken":"Tok-Attack"}',
      ],
      procs,
    );
    expect(single.code).toBe(2);
    expect(await redis.admin.keys(`bull:${queue}:*`)).toEqual([]);
  });

  it('stores it sealed with --secret-key; the dashboard API shows it sealed; the handler gets it in clear', async () => {
    const queue = `secrets-sealed-${Date.now()}`;
    const secret = 'Sealed-Pw-Attack-42';
    const outFile = join(dir, 'probe.out');
    const file = join(dir, 'sealed.json');
    writeFileSync(file, JSON.stringify(definition(secret, outFile)));
    const enqueue = await runTasklane(
      [
        'enqueue',
        '--redis-url',
        redis.authUrl,
        '--queue',
        queue,
        '--definition',
        file,
        '--secret-key',
        SECRET_KEY,
      ],
      procs,
    );
    expect(enqueue.code, enqueue.output).toBe(0);
    const stored = await queueContents(queue);
    expect(stored).toContain('tl-sealed:v1:');
    expect(stored).not.toContain(secret);

    const port = await freePort();
    await startRunner(
      [
        '--source',
        'bullmq',
        '--queue',
        queue,
        '--redis-url',
        redis.authUrl,
        '--plugin',
        probePlugin,
        '--secret-key',
        SECRET_KEY,
        '--http-port',
        String(port),
      ],
      procs,
    );
    await expect.poll(() => readFileSafe(outFile), { timeout: 20_000 }).toBe(secret);
    await expect.poll(async () => redis.admin.zcard(`bull:${queue}:completed`), { timeout: 10_000 }).toBe(1);
    const api = await fetch(
      `http://127.0.0.1:${port}/queues/api/queues?activeQueue=${queue}&status=completed`,
    );
    expect(api.status).toBe(200);
    const body = await api.text();
    expect(body).toContain('tl-sealed:v1:');
    expect(body).not.toContain(secret);
    expect(await queueContents(queue)).not.toContain(secret);
  });

  it('stores failure reasons redacted: a URL password a task printed never reaches Redis', async () => {
    const queue = `secrets-failed-${Date.now()}`;
    const leaked = 'Printed-Pw-Attack';
    await startRunner(['--source', 'bullmq', '--queue', queue, '--redis-url', redis.authUrl], procs);
    const enqueue = await runTasklane(
      [
        'enqueue',
        '--redis-url',
        redis.authUrl,
        '--queue',
        queue,
        '--name',
        'ShellCommandActivity',
        '--attempts',
        '1',
        '--data',
        // The password is assembled at run time, as a secret read from a file or a variable would be.
        JSON.stringify({
          command: 'p=Printed; echo "cannot reach postgres://app:${p}-Pw-Attack@db:5432/x" >&2; exit 3',
        }),
      ],
      procs,
    );
    expect(enqueue.code, enqueue.output).toBe(0);
    await expect.poll(() => redis.admin.zcard(`bull:${queue}:failed`), { timeout: 20_000 }).toBe(1);
    const stored = await queueContents(queue);
    expect(stored).toContain('postgres://app:***@db');
    expect(stored).not.toContain(leaked);
  });
});

describe('the task environment', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ longPollMs: 500 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it("gives shell tasks neither the runner's TASKLANE_* secrets nor its AWS keys, only what --task-env opts in", async () => {
    const group = 'env-attack';
    const out = join(dir, 'task-env.txt');
    const p = spawnGroup(
      runnerBin('node'),
      ['run', '--worker-group', group, '--endpoint', emulator.endpoint, '--task-env', 'MY_OPT_IN'],
      {
        env: {
          ...runnerEnv,
          AWS_SECRET_ACCESS_KEY: 'Aws-Secret-Attack',
          TASKLANE_REDIS_URL: redis.authUrl,
          TASKLANE_HTTP_TOKEN: TOKEN,
          MY_OPT_IN: 'opted-in-value',
          NOT_OPTED_IN: 'private-value',
        },
      },
    );
    procs.push(p);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: group,
      type: 'ShellCommandActivity',
      fields: { command: `env > '${out}'` },
    });
    const done = await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 20_000);
    expect(done.tasks[taskId]!.terminalStatus).toBe('FINISHED');
    const env = readFileSync(out, 'utf8');
    expect(env).toContain('MY_OPT_IN=opted-in-value');
    expect(env).toMatch(/^PATH=/m);
    for (const leaked of [
      'Aws-Secret-Attack',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_ACCESS_KEY_ID',
      REDIS_PASSWORD,
      'TASKLANE_REDIS_URL',
      TOKEN,
      'TASKLANE_HTTP_TOKEN',
      'private-value',
    ])
      expect(env).not.toContain(leaked);
    await p.stop(5000);
  });
});

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
