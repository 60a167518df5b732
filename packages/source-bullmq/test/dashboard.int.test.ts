import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueDashboard, type DashboardServeStatic } from '../src/index.ts';
import { redisForFile, uniqueQueue } from './helpers.ts';

const redis = redisForFile();
beforeAll(() => redis.start());
afterAll(() => redis.stop());

/** The serveStatic of whichever runtime runs the test (what the runner-* app would pass). */
async function runtimeServeStatic(): Promise<DashboardServeStatic> {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined')
    return (await import('hono/bun')).serveStatic as DashboardServeStatic;
  if (typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined')
    return (await import('hono/deno')).serveStatic as DashboardServeStatic;
  return (await import('@hono/node-server/serve-static')).serveStatic as DashboardServeStatic;
}

describe('createQueueDashboard', () => {
  it('serves bull-board for the queues under basePath: page, API and UI assets', async () => {
    const name = uniqueQueue('dash');
    const connection = new Redis(redis.get().url, { maxRetriesPerRequest: null });
    const queue = new Queue(name, { connection });
    await queue.add('ShellCommandActivity', { command: 'echo hi' });
    const dashboard = createQueueDashboard({
      url: redis.get().url,
      queues: [name],
      basePath: '/ops/queues/',
      serveStatic: await runtimeServeStatic(),
    });
    try {
      expect(dashboard.basePath).toBe('/ops/queues');
      const page = await dashboard.request('/ops/queues');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Tasklane queues');
      const api = await dashboard.request(`/ops/queues/api/queues?activeQueue=${name}&status=waiting&page=1`);
      expect(api.status).toBe(200);
      const body = (await api.json()) as {
        queues: Array<{ name: string; counts: Record<string, number>; jobs: Array<{ name: string }> }>;
      };
      const shown = body.queues.find((q) => q.name === name);
      expect(shown?.counts.waiting).toBe(1);
      expect(shown?.jobs[0]?.name).toBe('ShellCommandActivity');
      expect(html).toContain('<base href="/ops/queues/"');
      const asset = /src="(static\/js\/main[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const js = await dashboard.request(`/ops/queues/${asset!}`);
      expect(js.status).toBe(200);
      expect((await js.text()).length).toBeGreaterThan(1000);
      expect((await dashboard.request('/elsewhere')).status).toBe(404);
    } finally {
      await dashboard.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });

  it('requires queues and a serveStatic', () => {
    expect(() =>
      createQueueDashboard({
        url: 'redis://127.0.0.1:1',
        queues: [],
        serveStatic: (() => {}) as unknown as DashboardServeStatic,
      }),
    ).toThrow(/queues/);
    expect(() =>
      createQueueDashboard({
        url: 'redis://127.0.0.1:1',
        queues: ['q'],
        serveStatic: undefined as unknown as DashboardServeStatic,
      }),
    ).toThrow(/serveStatic/);
  });
});
