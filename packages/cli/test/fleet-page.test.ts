/**
 * The live fleet page in real headless Chromium (Debian's package, driven by playwright-core): two runner
 * processes on one Redis; the page must show the live lease holder, both instances and an in-flight task.
 * A screenshot is saved under test-results/ for humans.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTasklane } from './runner-process.ts';

const CHROMIUM = process.env.TASKLANE_CHROMIUM ?? '/usr/bin/chromium';
const shots = fileURLToPath(new URL('../test-results/', import.meta.url));

describe('fleet page', () => {
  let emulator: Emulator;
  let redis: TestRedis;
  let browser: Browser;
  const runners: GroupProcess[] = [];
  let port = 0;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set TASKLANE_CHROMIUM)`,
      );
    emulator = await startEmulator({ longPollMs: 1000 });
    redis = await startTestRedis();
    port = await freePort();
    const prefix = `tl-fleetpage-${Date.now()}:`;
    for (const [i, httpPort] of [port, await freePort()].entries()) {
      const p = startTasklane('node', [
        'run',
        '--worker-group',
        'fleet-page',
        '--endpoint',
        emulator.endpoint,
        '--redis-url',
        redis.url,
        '--redis-key-prefix',
        prefix,
        '--hostname',
        `page-runner-${i + 1}`,
        '--http-port',
        String(httpPort),
        '--http-host',
        '127.0.0.1',
      ]);
      runners.push(p);
    }
    await Promise.all(runners.map((p) => p.waitForOutput(/tasklane runner started/, 30_000)));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(runners.map((p) => p.stop(5000)));
    await emulator?.close();
    await redis?.dispose();
  });

  it('shows the live lease holder, the instances and in-flight tasks, refreshing by itself', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`http://127.0.0.1:${port}/fleet`);
    await expect.poll(async () => page.locator('#instances tbody tr').count(), { timeout: 15_000 }).toBe(2);
    // Someone always holds the poll lease while the group is idle-polling; the holder cell names a host.
    await expect
      .poll(async () => page.locator('#groups [data-holder]').textContent(), { timeout: 15_000 })
      .toMatch(/page-runner-[12]/);
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: 'fleet-page',
      type: 'ShellCommandActivity',
      fields: { command: 'sleep 4' },
    });
    await expect
      .poll(async () => page.locator('#tasks tbody').textContent(), { timeout: 15_000 })
      .toContain('ShellCommandActivity');
    const failing = emulator.control.enqueueTask({
      workerGroup: 'fleet-page',
      type: 'ShellCommandActivity',
      fields: { command: 'echo nope >&2; exit 9' },
      maximumRetries: 0,
    });
    await emulator.control.waitFor((o) => o.tasks[failing.taskId]?.terminalStatus === 'FAILED', 15_000);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: `${shots}fleet-page.png`, fullPage: true });
    await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus === 'FINISHED', 15_000);
    await expect
      .poll(async () => page.locator('#tasks tbody').textContent(), { timeout: 10_000 })
      .toContain('idle');
  });
});
