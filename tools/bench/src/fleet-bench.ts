/**
 * The fleet as users run it: three bin/tasklane processes on one worker group with Redis, the emulator
 * in its own process. Measures the Redis commands per second of the idle fleet (nothing queued: one
 * instance holds the group in a long poll, the others wait behind it), then kills the holder with
 * SIGKILL and measures how long until another instance polls.
 */
import { readFleetStatus } from '@tasklane/coordinator-redis';
import type { GroupProcess } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { clientCommandCount } from './coordinator-bench.ts';
import { EmulatorProcess, sleep, startTasklane } from './procs.ts';
import { round } from './stats.ts';

export interface FleetBenchResult {
  instances: number;
  leaseMs: number;
  longPollMs: number;
  /** Client-issued Redis commands per second and instance while the fleet is idle. */
  idleCommandsPerSecPerInstance: number;
  idleWindowMs: number;
  /** From SIGKILL of the lease holder to the next poll by another instance. */
  failoverMs: number;
}

export async function benchFleet(opts: {
  redisUrl: string;
  instances?: number;
  leaseMs?: number;
  idleWindowMs?: number;
}): Promise<FleetBenchResult> {
  const instances = opts.instances ?? 3;
  const leaseMs = opts.leaseMs ?? 15_000;
  const idleWindowMs = opts.idleWindowMs ?? 20_000;
  const longPollMs = 20_000;
  const emulator = await EmulatorProcess.start(`${longPollMs / 1000}s`);
  const prefix = `fleet-${process.pid}-${Date.now()}:`;
  const group = 'wg-fleet';
  const admin = new Redis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  const procs: GroupProcess[] = [];
  try {
    for (let i = 0; i < instances; i++)
      procs.push(
        startTasklane(emulator, {
          group,
          concurrency: 2,
          redisUrl: opts.redisUrl,
          keyPrefix: prefix,
          lease: `${leaseMs}ms`,
          hostname: `fleet-${i}`,
        }),
      );
    await emulator.polling(group);
    // Let every instance start and queue behind the holder.
    await sleep(3000);
    const before = await clientCommandCount(admin);
    await sleep(idleWindowMs);
    const idle = (await clientCommandCount(admin)) - before - 1;
    const status = await readFleetStatus(admin, { keyPrefix: prefix, groups: [group] });
    const holderId = status.groups[0]?.holder?.instanceId;
    const holderHost = status.instances.find((i) => i.instanceId === holderId)?.hostname;
    const holder = procs[Number(holderHost?.split('-')[1])];
    if (!holder) throw new Error(`no lease holder found in ${JSON.stringify(status)}`);
    const polls = (await emulator.group(group))!.polls;
    const killedAt = performance.now();
    holder.signal('SIGKILL');
    while ((await emulator.group(group))!.polls <= polls) {
      if (performance.now() - killedAt > leaseMs + 10_000) throw new Error('no failover');
      await sleep(10);
    }
    return {
      instances,
      leaseMs,
      longPollMs,
      idleCommandsPerSecPerInstance: round((idle * 1000) / idleWindowMs / instances, 3),
      idleWindowMs,
      failoverMs: round(performance.now() - killedAt, 0),
    };
  } finally {
    admin.disconnect();
    await Promise.all(procs.map((p) => p.stop(5000)));
    await emulator.close();
  }
}
