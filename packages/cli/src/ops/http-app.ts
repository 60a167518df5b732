import type { InstanceState, Runner } from '@tasklane/core';
import { Hono } from 'hono';
import type { RunnerMetrics } from './metrics.ts';
import type { FailureRecord } from './recent-failures.ts';
import { FLEET_PAGE } from './fleet-page.ts';

/** The fleet as the coordinator sees it (Redis), or just this instance (in-process). */
export interface FleetSnapshot {
  readonly coordinator: string;
  readonly groups: ReadonlyArray<{
    group: string;
    holder?: { instanceId: string; epoch: number; since: number } | undefined;
    waiters: number;
  }>;
  readonly instances: readonly InstanceState[];
  readonly failures: readonly FailureRecord[];
  readonly generatedAt: number;
}

export interface HttpAppDeps {
  readonly runner: Runner;
  readonly metrics: RunnerMetrics;
  fleet(): Promise<FleetSnapshot>;
}

/**
 * Health, metrics and the fleet view. `/livez` depends on nothing but this process answering;
 * `/readyz` is true only while running and the coordinator can grant permits.
 */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const app = new Hono();
  app.get('/livez', (c) => c.json({ status: 'ok', state: deps.runner.state }));
  app.get('/readyz', (c) => {
    const state = deps.runner.state;
    const coordinator = deps.runner.coordinator.isReady();
    const ready = state === 'running' && coordinator;
    return c.json({ ready, state, coordinator: coordinator ? 'up' : 'down' }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    deps.metrics.redisUp.set(deps.runner.coordinator.isReady() ? 1 : 0);
    return c.body(await deps.metrics.registry.metrics(), 200, {
      'Content-Type': deps.metrics.registry.contentType,
    });
  });
  app.get('/fleet.json', async (c) => c.json(await deps.fleet()));
  app.get('/fleet', (c) => c.html(FLEET_PAGE));
  // preStop hook target: start draining without killing the process.
  app.post('/drain', (c) => {
    void deps.runner.stop();
    return c.json({ state: 'draining' }, 202);
  });
  return app;
}
