import type { InstanceState, Runner } from '@tasklane/core';
import { Hono } from 'hono';
import { createHash } from 'node:crypto';
import { httpGuard } from '../security/http-guard.ts';
import { redact } from '../security/redact.ts';
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
  /** Bearer token for mutating endpoints (`--http-token`); absent: they are refused. */
  readonly token?: string | undefined;
  /** Path prefixes whose mutating requests are refused (the read-only dashboard). */
  readonly readOnlyPrefixes?: readonly string[];
  /** Whether `/readyz` should report ready (readiness tracker of the service polls). @default always */
  serviceReady?(): boolean;
}

/** The page's one inline script, allowed by hash: nothing injected into the page could run. */
const FLEET_CSP = (() => {
  const script = /<script>([\s\S]*)<\/script>/.exec(FLEET_PAGE)?.[1] ?? '';
  const hash = createHash('sha256').update(script).digest('base64');
  return `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
})();

/**
 * Health, metrics and the fleet view. `/livez` depends on nothing but this process answering;
 * `/readyz` is true only while running, the coordinator can grant permits and the service answers.
 * Every mutating request passes {@link httpGuard} first (token, JSON body, same origin).
 */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const app = new Hono();
  app.use('*', httpGuard({ token: deps.token, readOnlyPrefixes: deps.readOnlyPrefixes ?? [] }));
  app.get('/livez', (c) => c.json({ status: 'ok', state: deps.runner.state }));
  app.get('/readyz', (c) => {
    const state = deps.runner.state;
    const coordinator = deps.runner.coordinator.isReady();
    const service = deps.serviceReady?.() ?? true;
    const ready = state === 'running' && coordinator && service;
    return c.json(
      { ready, state, coordinator: coordinator ? 'up' : 'down', service: service ? 'up' : 'down' },
      ready ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    deps.metrics.redisUp.set(deps.runner.coordinator.isReady() ? 1 : 0);
    return c.body(await deps.metrics.registry.metrics(), 200, {
      'Content-Type': deps.metrics.registry.contentType,
    });
  });
  // Registry entries and failure messages are written by other processes and by tasks: redact them.
  app.get('/fleet.json', async (c) => c.json(redact(await deps.fleet()) as FleetSnapshot));
  app.get('/fleet', (c) =>
    c.html(FLEET_PAGE, 200, { 'Content-Security-Policy': FLEET_CSP, 'X-Content-Type-Options': 'nosniff' }),
  );
  // preStop hook target: start draining without killing the process.
  app.post('/drain', (c) => {
    void deps.runner.stop();
    return c.json({ state: 'draining' }, 202);
  });
  return app;
}
