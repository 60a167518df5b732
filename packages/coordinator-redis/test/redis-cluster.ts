/**
 * A real Redis Cluster for tests: 3 masters with one replica each, redis-server processes on free ports
 * in a temporary directory, killed by PID at the end. Slots are assigned with CLUSTER ADDSLOTSRANGE and
 * the replicas attached with CLUSTER REPLICATE, so no redis-cli is needed.
 */
import { freePort, waitUntil } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ClusterNode {
  readonly port: number;
  readonly id: string;
  readonly process: ChildProcess;
}

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` (the masters as seeds). */
  readonly url: string;
  readonly nodes: readonly ClusterNode[];
  /** A plain client of one node. */
  client(port: number): Redis;
  /** Port of the master serving a key now. */
  masterOf(key: string): Promise<number>;
  /** Port of a replica of the master on `port`. */
  replicaOf(port: number): Promise<number>;
  /** Waits until every node says cluster_state:ok and agrees on the masters. */
  settled(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

const until = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) =>
  waitUntil(`redis cluster: ${what}`, timeoutMs, probe);

export async function startTestCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-cluster-'));
  const clients: Redis[] = [];
  const client = (port: number) => {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const started: ClusterNode[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const proc = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--loglevel',
          'warning',
        ],
        { stdio: 'ignore' },
      );
      const c = client(port);
      const id = await until(`node ${port}`, 10_000, async () => String(await c.call('CLUSTER', 'MYID')));
      started.push({ port, id, process: proc });
    }
    const [m1, m2, m3, r1, r2, r3] = started;
    const ranges: Array<[number, number]> = [
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ];
    for (const [i, m] of [m1!, m2!, m3!].entries())
      await client(m.port).call('CLUSTER', 'ADDSLOTSRANGE', ranges[i]![0], ranges[i]![1]);
    for (const n of started.slice(1)) await client(n.port).call('CLUSTER', 'MEET', '127.0.0.1', m1!.port);
    for (const [replica, master] of [
      [r1!, m1!],
      [r2!, m2!],
      [r3!, m3!],
    ] as const) {
      // A replica can attach only once it knows its master (gossip spreads MEET within a second or two).
      await until(`replica ${replica.port}`, 15_000, async () =>
        (await client(replica.port).call('CLUSTER', 'REPLICATE', master.id)) === 'OK' ? true : undefined,
      );
    }
  } catch (error) {
    for (const n of started) n.process.kill('SIGKILL');
    for (const c of clients) c.disconnect();
    throw error;
  }
  const cluster: TestCluster = {
    url: `redis+cluster://${started
      .slice(0, 3)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',')}`,
    nodes: started,
    client,
    async masterOf(key) {
      const slot = Number(await client(started[0]!.port).call('CLUSTER', 'KEYSLOT', key));
      const slots = (await client(started[0]!.port).call('CLUSTER', 'SLOTS')) as Array<
        [number, number, [string, number]]
      >;
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no master for slot ${slot}`);
      return range[2][1];
    },
    async replicaOf(port) {
      const info = String(await client(port).call('INFO', 'replication'));
      const m = /slave0:ip=[^,]+,port=(\d+)/.exec(info);
      if (!m) throw new Error(`node ${port} has no replica`);
      return Number(m[1]);
    },
    async settled(timeoutMs = 20_000) {
      await until('cluster_state:ok on every node', timeoutMs, async () => {
        for (const n of started) {
          const info = String(await client(n.port).call('CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok')) return undefined;
          const replication = String(await client(n.port).call('INFO', 'replication'));
          // Every replica in sync, so a manual failover does not wait for it.
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
            return undefined;
        }
        return true;
      });
    },
    async dispose() {
      for (const c of clients) c.disconnect();
      await Promise.all(
        started.map(
          (n) =>
            new Promise<void>((resolve) => {
              if (n.process.exitCode !== null) return resolve();
              n.process.once('exit', () => resolve());
              n.process.kill('SIGKILL');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.settled();
  return cluster;
}
