import { RedisCoordinator } from '@tasklane/coordinator-redis';
import { Redis } from 'ioredis';

function infoField(info: string, field: string): number {
  return Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
}

export interface ScaleResult {
  instances: number;
  groups: number;
  simulated: true;
  durationMs: number;
  permits: number;
  maxConcurrentPerGroup: number;
  redisCommandsPerSec: number;
  redisCpuPercent: number;
  connections: number;
}

/**
 * Many coordinator instances (simulated in one process, each with its own Redis connections, as a pod
 * would have) contending for many groups: each loop acquires, "polls" for a random 1–20 ms, releases.
 * Checks that no group ever has two holders at once and reports Redis load.
 */
export async function benchScale(opts: {
  redisUrl: string;
  instances: number;
  groups: number;
  durationMs: number;
}): Promise<ScaleResult> {
  const admin = new Redis(opts.redisUrl);
  const prefix = `tl-scale-${Date.now()}:`;
  const coordinators = Array.from(
    { length: opts.instances },
    (_, i) =>
      new RedisCoordinator({
        url: opts.redisUrl,
        keyPrefix: prefix,
        instanceId: `sim-${i}`,
        leaseMs: 5000,
        // Simulated instances in one process: no renewal thread each.
        renewal: 'main',
      }),
  );
  await Promise.all(coordinators.map((c) => c.start()));
  const groups = Array.from({ length: opts.groups }, (_, i) => `g${i}`);
  const holders = new Map<string, number>();
  let maxConcurrentPerGroup = 0;
  let permits = 0;
  const stop = new AbortController();
  const before = await admin.info();
  const started = performance.now();
  const loops = coordinators.flatMap((c) =>
    groups.map(async (group) => {
      while (!stop.signal.aborted) {
        let permit;
        try {
          permit = await c.acquire(group, stop.signal);
        } catch {
          return;
        }
        const now = (holders.get(group) ?? 0) + 1;
        holders.set(group, now);
        maxConcurrentPerGroup = Math.max(maxConcurrentPerGroup, now);
        permits++;
        await new Promise((r) => setTimeout(r, 1 + Math.random() * 19));
        holders.set(group, (holders.get(group) ?? 1) - 1);
        await permit.release();
      }
    }),
  );
  await new Promise((r) => setTimeout(r, opts.durationMs));
  const after = await admin.info();
  const elapsedMs = performance.now() - started;
  stop.abort();
  await Promise.allSettled(loops);
  const connections = infoField(after, 'connected_clients');
  await Promise.all(coordinators.map((c) => c.close()));
  await admin.quit();
  const cpu = (info: string) => infoField(info, 'used_cpu_sys') + infoField(info, 'used_cpu_user');
  return {
    instances: opts.instances,
    groups: opts.groups,
    simulated: true,
    durationMs: elapsedMs,
    permits,
    maxConcurrentPerGroup,
    redisCommandsPerSec:
      ((infoField(after, 'total_commands_processed') - infoField(before, 'total_commands_processed')) /
        elapsedMs) *
      1000,
    redisCpuPercent: ((cpu(after) - cpu(before)) / (elapsedMs / 1000)) * 100,
    connections,
  };
}
