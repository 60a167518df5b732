/**
 * Redis Cluster for real: a 3-master cluster with replicas started by the test (redis-server in cluster
 * mode on free ports), the coordinator conformance suite and a fleet of runner processes on it, and a
 * manual failover (CLUSTER FAILOVER on the replica) of the master holding a group's lease.
 */
import type { Coordinator } from '@tasklane/core';
import { startEmulator } from '@tasklane/emulator';
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, groupKeys, readFleetStatus, RedisCoordinator } from '../src/index.ts';
import { CONFORMANCE_TURN_MS, describeCoordinatorConformance } from './conformance-suite.ts';
import { startLeaseWorkers } from './lease-workers.ts';
import { fleetRunnerStarted, requireBuilt, spawnFleetRunner } from './fleet-process.ts';
import { startTestCluster, type TestCluster } from './redis-cluster.ts';

let cluster: TestCluster;
let n = 0;
beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.dispose();
});

describe('redis+cluster:// URLs', () => {
  it('rejects a cluster URL without hosts or with a path, with a coded error', () => {
    for (const url of ['redis+cluster://', 'redis+cluster://h1:1,h2:2/0', 'rediss+cluster://h1:99999'])
      expect(() => new RedisCoordinator({ url })).toThrow(expect.objectContaining({ code: 'TL_REDIS_URL' }));
  });

  it('connects through a Cluster client that routes each group to its slot', async () => {
    const redis = connectRedis(cluster.url);
    try {
      // Keys of three groups land on different masters; a plain client to one node would get MOVED.
      for (const group of ['a', 'b', 'c', 'd']) await redis.set(groupKeys('url:', group).lease, group);
      expect(await redis.get(groupKeys('url:', 'c').lease)).toBe('c');
      const masters = new Set(
        await Promise.all(['a', 'b', 'c', 'd'].map((g) => cluster.masterOf(groupKeys('url:', g).lease))),
      );
      expect(masters.size).toBeGreaterThan(1);
    } finally {
      redis.disconnect();
    }
  });
});

describeCoordinatorConformance('RedisCoordinator on Redis Cluster', async () => {
  const keyPrefix = `cconf${++n}-${process.pid}:`;
  const created: Coordinator[] = [];
  return {
    instances: async (count) => {
      for (let i = 0; i < count; i++)
        created.push(
          new RedisCoordinator({ url: cluster.url, keyPrefix, leaseMs: 5000, turnMs: CONFORMANCE_TURN_MS }),
        );
      return created;
    },
    dispose: async () => {
      await Promise.all(created.map((c) => c.close()));
    },
  };
});

describe('failover of the master holding a lease', () => {
  it('never has two holders and resumes granting by itself', async () => {
    const keyPrefix = `cfail${process.pid}:`;
    const group = 'failover';
    const coordinators = [0, 1].map(
      () => new RedisCoordinator({ url: cluster.url, keyPrefix, leaseMs: 3000, commandTimeoutMs: 1000 }),
    );
    const workers = startLeaseWorkers(coordinators, group);
    try {
      await expect.poll(() => workers.grants(), { timeout: 10_000 }).toBeGreaterThan(10);
      const master = await cluster.masterOf(groupKeys(keyPrefix, group).lease);
      const replica = await cluster.replicaOf(master);
      expect(await cluster.client(replica).call('CLUSTER', 'FAILOVER')).toBe('OK');
      await expect
        .poll(async () => String(await cluster.client(replica).call('ROLE')).split(',')[0], {
          timeout: 15_000,
        })
        .toBe('master');
      await expect
        .poll(() => cluster.masterOf(groupKeys(keyPrefix, group).lease), { timeout: 15_000 })
        .toBe(replica);
      const before = workers.grants();
      // Polling resumes by itself on the promoted replica.
      await expect.poll(() => workers.grants(), { timeout: 20_000 }).toBeGreaterThan(before + 10);
      expect(workers.maxHolders()).toBe(1);
    } finally {
      await workers.stop();
      await Promise.all(coordinators.map((c) => c.close()));
      await cluster.settled();
    }
  }, 60_000);
});

describe('fleet of runner processes on Redis Cluster', () => {
  beforeAll(requireBuilt);

  it('keeps one poll in flight per group and finishes every task', async () => {
    const emulator = await startEmulator({ port: 0, longPollMs: 1000 });
    const procs: GroupProcess[] = [];
    try {
      const env = { ENDPOINT: emulator.endpoint, REDIS_URL: cluster.url, WG: 'cwg', KEY_PREFIX: 'cfleet:' };
      procs.push(...[0, 1, 2].map((i) => spawnFleetRunner(`cluster-runner-${i}`, env)));
      const ids = await Promise.all(procs.map(fleetRunnerStarted));
      const tasks = Array.from(
        { length: 100 },
        () => emulator.control.enqueueTask({ workerGroup: 'cwg', type: 'NoopActivity' }).taskId,
      );
      await emulator.control.waitFor(
        (o) => tasks.every((t) => o.tasks[t]?.terminalStatus !== undefined),
        45_000,
      );
      const o = emulator.control.observations();
      expect(tasks.every((t) => o.tasks[t]!.terminalStatus === 'FINISHED')).toBe(true);
      expect(o.groups['cwg']!.maxInFlightPolls).toBe(1);
      const status = await readFleetStatus(cluster.url, { keyPrefix: 'cfleet:' });
      expect(status.instances.map((i) => i.instanceId).sort()).toEqual([...ids].sort());
      for (const p of procs) expect(await p.stop(10_000)).toBe(0);
    } finally {
      await Promise.all(procs.map((p) => p.stop(5000)));
      await emulator.close();
    }
  }, 60_000);
});

describe('a lease holder on Redis Cluster whose main thread blocks', () => {
  beforeAll(requireBuilt);

  // A handler that spins the main thread for longer than the lease, right after the grant: only the
  // renewal thread can keep the lease alive, and it must speak to the cluster (it once renewed on the
  // main thread only, and another instance took the group while the first one's poll was open).
  it('keeps its lease from the renewal thread, so no other instance takes the group', async () => {
    const leaseMs = 2000;
    const keyPrefix = `cblock${process.pid}:`;
    const holder = spawnGroup(
      process.execPath,
      [fileURLToPath(new URL('./fixtures/blocking-instance.mjs', import.meta.url))],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          REDIS_URL: cluster.url,
          KEY_PREFIX: keyPrefix,
          LEASE_MS: String(leaseMs),
          GROUP: 'wg',
          BLOCK_MS: String(3 * leaseMs),
          BLOCK_ON_GRANT: '1',
        },
      },
    );
    const other = new RedisCoordinator({ url: cluster.url, keyPrefix, leaseMs, renewal: 'main' });
    try {
      await holder.waitForOutput(/"event":"blocking"/, 20_000);
      let grantedAt: number | undefined;
      const permit = other.acquire('wg', new AbortController().signal).then((p) => {
        grantedAt = Date.now();
        return p;
      });
      await holder.waitForOutput(/"event":"unblocked"/, 15_000);
      expect(grantedAt, 'the lease expired while its holder was blocked').toBeUndefined();
      expect(holder.output()).not.toMatch(/lease-lost/);
      expect(await holder.stop(5000)).toBe(0);
      // Released by the holder on its way out: the waiting instance gets the group.
      await (await permit).release();
      expect(grantedAt).toBeDefined();
    } finally {
      await holder.stop(3000);
      await other.close();
    }
  }, 40_000);
});
