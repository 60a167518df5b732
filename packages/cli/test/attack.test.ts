/**
 * The attack suite, part 1: what someone on the same network (or a web page in an operator's browser)
 * can do to a default `tasklane run`. Real runner processes (bin/tasklane), a real redis-server with
 * `requirepass`, real HTTP and a real browser. Every vector of issue 13 must be refused; each test also
 * has a positive control, so a refusal caused by a broken route does not pass for security.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import type { Redis } from 'ioredis';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect, REDIS_PASSWORD, startPasswordRedis, startRunner } from './attack-helpers.ts';

const TOKEN = 'attack-suite-token-0123456789abcdef';
const CHROMIUM = process.env.TASKLANE_CHROMIUM ?? '/usr/bin/chromium';

let redis: TestRedis & { authUrl: string; admin: Redis };
let emulator: Emulator;
const procs: GroupProcess[] = [];

beforeAll(async () => {
  redis = await startPasswordRedis();
  emulator = await startEmulator({ longPollMs: 500 });
});

afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop(5000)));
  redis?.admin.disconnect();
  await emulator?.close();
  await redis?.dispose();
});

const post = (url: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  fetch(url, { method: 'POST', ...init });

describe('a default runner seen from the network', () => {
  const prefix = `tl-attack-${Date.now()}:`;
  const group = 'attack-wg';
  let port = 0;
  let base = '';
  let runner: GroupProcess;

  beforeAll(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // No --http-host: the default is what is under attack.
    runner = await startRunner(
      [
        '--worker-group',
        group,
        '--endpoint',
        emulator.endpoint,
        '--redis-url',
        redis.authUrl,
        '--redis-key-prefix',
        prefix,
        '--http-port',
        String(port),
        '--http-token',
        TOKEN,
      ],
      procs,
    );
  });

  it('binds the ops server to loopback only', async () => {
    expect(await canConnect('127.0.0.1', port)).toBe(true);
    // A socket bound to 0.0.0.0 would accept these; one bound to 127.0.0.1 does not.
    expect(await canConnect('127.0.0.2', port)).toBe(false);
    // And neither does any of the machine's own non-loopback addresses.
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === 'IPv4' && !i.internal)
      .map((i) => i!.address);
    for (const address of external) expect(await canConnect(address, port)).toBe(false);
  });

  it('keeps probes and /metrics open', async () => {
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('refuses POST /drain without the token, with a wrong one, from a foreign origin and as text/plain', async () => {
    const json = { 'content-type': 'application/json' };
    expect((await post(`${base}/drain`, { headers: json, body: '{}' })).status).toBe(401);
    expect(
      (await post(`${base}/drain`, { headers: { ...json, authorization: 'Bearer wrong-token-0123456789' } }))
        .status,
    ).toBe(401);
    expect(
      (await post(`${base}/drain`, { headers: { ...json, authorization: `Basic ${TOKEN}` }, body: '{}' }))
        .status,
    ).toBe(401);
    // CSRF: a page elsewhere posting with the right token still cannot (it could not know it anyway).
    expect(
      (
        await post(`${base}/drain`, {
          headers: { ...json, authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' },
          body: '{}',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await post(`${base}/drain`, {
          headers: { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` },
          body: '{}',
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await post(`${base}/drain`, {
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${TOKEN}` },
          body: 'a=1',
        })
      ).status,
    ).toBe(415);
    // Still running: none of them drained it.
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ state: 'running' });
  });

  it('bounds the activity_type label: unknown types fold into "other" past the default limit of 50', async () => {
    const ids = Array.from(
      { length: 60 },
      (_, i) =>
        emulator.control.enqueueTask({
          workerGroup: group,
          type: `Random${i}x${Math.random().toString(36).slice(2, 8)}Activity`,
          fields: {},
          maximumRetries: 0,
        }).taskId,
    );
    await emulator.control.waitFor(
      (o) => ids.every((id) => o.tasks[id]?.terminalStatus !== undefined),
      60_000,
    );
    await expect
      .poll(
        async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          return [...text.matchAll(/tasklane_tasks_total\{[^}]*result="failed"[^}]*\} (\d+)/g)].reduce(
            (n, m) => n + Number(m[1]),
            0,
          );
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThanOrEqual(60);
    const text = await (await fetch(`${base}/metrics`)).text();
    const types = new Set([...text.matchAll(/activity_type="([^"]*)"/g)].map((m) => m[1]));
    const random = [...types].filter((t) => t!.startsWith('Random'));
    expect(random.length).toBeGreaterThan(0);
    expect(random.length).toBeLessThanOrEqual(50);
    expect(types.has('other')).toBe(true);
  });

  it('renders hostile registry entries on /fleet as text: no script runs', async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium`).toBe(true);
    const payload = '<img src=x onerror="window.__pwned=1">';
    const evil = {
      instanceId: `evil-${payload}`,
      hostname: `host-${payload}`,
      runtime: `<script>window.__pwned=2</script>`,
      state: payload,
      startedAt: Date.now(),
      groups: { [group]: { busy: payload, slots: payload } },
      inFlight: [
        { attemptId: payload, taskId: payload, group: payload, activityType: payload, startedAt: payload },
      ],
    };
    await redis.admin.set(`${prefix}{registry}:instance:evil`, JSON.stringify(evil), 'PX', 600_000);
    await redis.admin.zadd(`${prefix}{registry}:instances`, Date.now() + 600_000, 'evil');
    const fleet = (await (await fetch(`${base}/fleet.json`)).json()) as { instances: unknown[] };
    expect(fleet.instances.length).toBe(2);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/fleet`);
      await expect.poll(() => page.locator('#instances tbody tr').count(), { timeout: 15_000 }).toBe(2);
      // Let a few refreshes run: each one re-renders the hostile values.
      await page.waitForTimeout(2500);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(
        await page.locator('#instances img, #tasks img, #groups img, script:not(:first-of-type)').count(),
      ).toBe(0);
      expect(await page.locator('#instances tbody').textContent()).toContain('host-<img src=x onerror=');
      expect(await page.locator('#tasks tbody').textContent()).toContain('<img src=x onerror=');
    } finally {
      await browser.close();
    }
  });

  it('does not show the Redis password anywhere it logged or served', async () => {
    const pages = await Promise.all(['/fleet.json', '/metrics', '/readyz'].map((p) => fetch(`${base}${p}`)));
    for (const page of pages) expect(await page.text()).not.toContain(REDIS_PASSWORD);
    expect(runner.output()).not.toContain(REDIS_PASSWORD);
  });

  it('drains on POST /drain with the token and a JSON body (positive control), exit 0', async () => {
    const response = await post(`${base}/drain`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{}',
    });
    expect(response.status).toBe(202);
    expect(await runner.exited).toBe(0);
  });
});

describe('the BullMQ dashboard', () => {
  const queue = `attack-q-${Date.now()}`;
  // The vector, verbatim but aimed at a file the test owns: if it ever runs, the file appears.
  const pwned = join(mkdtempSync(join(tmpdir(), 'tasklane-csrf-')), 'pwned');
  const attackJob = JSON.stringify({ name: 'ShellCommandActivity', data: { command: `id > '${pwned}'` } });
  const shellJob = JSON.stringify({ name: 'ShellCommandActivity', data: { command: 'true' } });
  afterAll(() => rmSync(dirname(pwned), { recursive: true, force: true }));
  const jobCount = () =>
    redis.admin
      .zcard(`bull:${queue}:completed`)
      .then(
        async (done) =>
          done +
          (await redis.admin.llen(`bull:${queue}:wait`)) +
          (await redis.admin.zcard(`bull:${queue}:failed`)),
      );

  const bullmqRunner = async (extra: string[]) => {
    const port = await freePort();
    await startRunner(
      [
        '--source',
        'bullmq',
        '--queue',
        queue,
        '--redis-url',
        redis.authUrl,
        '--http-port',
        String(port),
        '--http-token',
        TOKEN,
        ...extra,
      ],
      procs,
    );
    return `http://127.0.0.1:${port}/queues/api/queues/${queue}/add`;
  };

  it('is read-only by default: adding a job is refused even with the token', async () => {
    const add = await bullmqRunner([]);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    expect((await post(add, { headers, body: attackJob })).status).toBe(405);
    // the remote-command-execution vector of the issue: a text/plain CSRF post
    expect((await post(add, { headers: { 'content-type': 'text/plain' }, body: attackJob })).status).not.toBe(
      200,
    );
    expect(await jobCount()).toBe(0);
    expect(existsSync(pwned)).toBe(false);
  });

  it('with --dashboard-write still needs the token, a JSON body and the same origin', async () => {
    const add = await bullmqRunner(['--dashboard-write']);
    const json = { 'content-type': 'application/json' };
    expect((await post(add, { headers: json, body: attackJob })).status).toBe(401);
    expect((await post(add, { headers: { 'content-type': 'text/plain' }, body: attackJob })).status).toBe(
      401,
    );
    expect(
      (
        await post(add, {
          headers: { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` },
          body: attackJob,
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await post(add, {
          headers: { ...json, authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' },
          body: attackJob,
        })
      ).status,
    ).toBe(403);
    expect(await jobCount()).toBe(0);
    expect(existsSync(pwned)).toBe(false);
    // Positive control: the operator with the token can add.
    const ok = await post(add, { headers: { ...json, authorization: `Bearer ${TOKEN}` }, body: shellJob });
    expect(ok.status).toBe(200);
    await expect.poll(jobCount, { timeout: 15_000 }).toBe(1);
  });
});
