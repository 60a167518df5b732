/**
 * Real Sentinel for tests: a master, one replica and three sentinels (`redis-server --sentinel`), all on
 * free ports in a temporary directory and killed by PID at the end.
 */
import { freePort } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const MASTER_NAME = 'tlmaster';

export interface TestSentinel {
  /** `redis+sentinel://127.0.0.1:s1,…/tlmaster` */
  readonly url: string;
  readonly sentinelPorts: readonly number[];
  /** The master's port as the sentinels report it now. */
  masterPort(): Promise<number>;
  /** Asks a sentinel for a failover (retrying until it knows a replica it can promote). */
  failover(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`sentinel: timed out waiting for ${what} (${String(last)})`);
    await delay(100);
  }
}

export async function startTestSentinel(): Promise<TestSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-sentinel-'));
  const processes: ChildProcess[] = [];
  const clients: Redis[] = [];
  const client = (port: number) => {
    const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const server = (port: number, extra: string[]) =>
    processes.push(
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          ...extra,
        ],
        { stdio: 'ignore' },
      ),
    );
  const dispose = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(
      processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const master = await freePort();
    const replica = await freePort();
    server(master, ['--loglevel', 'warning']);
    server(replica, ['--replicaof', '127.0.0.1', String(master), '--loglevel', 'warning']);
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 5000`,
          '',
        ].join('\n'),
      );
      processes.push(
        spawn('redis-server', [conf, '--sentinel', '--loglevel', 'warning'], { stdio: 'ignore' }),
      );
      sentinelPorts.push(port);
    }
    await until('the replica in sync', 15_000, async () =>
      String(await client(replica).call('INFO', 'replication')).includes('master_link_status:up')
        ? true
        : undefined,
    );
    const sentinel = client(sentinelPorts[0]!);
    const masterPort = async () =>
      Number(((await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as string[])[1]);
    await until('the sentinels', 15_000, async () => ((await masterPort()) === master ? true : undefined));
    return {
      url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER_NAME}`,
      sentinelPorts,
      masterPort,
      async failover(timeoutMs = 20_000) {
        const before = await masterPort();
        // NOGOODSLAVE until the sentinel has seen the replica in the master's INFO.
        await until('SENTINEL FAILOVER', timeoutMs, async () =>
          (await sentinel.call('SENTINEL', 'FAILOVER', MASTER_NAME)) === 'OK' ? true : undefined,
        );
        await until('the new master', timeoutMs, async () =>
          (await masterPort()) !== before ? true : undefined,
        );
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
