/**
 * Redis over TLS for tests: a throw-away CA and a server certificate for localhost / 127.0.0.1, a single
 * redis-server listening only on its TLS port, and a 3-master cluster whose nodes speak TLS to
 * clients and to each other. Every server runs in its own process group and is stopped by PID.
 */
import {
  freePort,
  caSignedCertificate,
  spawnGroup,
  waitUntil,
  type GroupProcess,
} from '@tasklane/test-utils';
import { Redis, type RedisOptions } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsMaterial {
  readonly dir: string;
  /** PEM file of the CA that signed the servers' certificate (what NODE_EXTRA_CA_CERTS takes). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
  dispose(): void;
}

export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-tls-'));
  const cert = caSignedCertificate(dir, 'redis');
  return {
    dir,
    caFile: cert.caFile,
    certFile: cert.certFile,
    keyFile: cert.keyFile,
    ca: cert.caPem,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const until = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) =>
  waitUntil(`redis over TLS: ${what}`, timeoutMs, probe);

function serverArgs(tls: TlsMaterial, port: number, dataDir: string): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--tls-cert-file',
    tls.certFile,
    '--tls-key-file',
    tls.keyFile,
    '--tls-ca-cert-file',
    tls.caFile,
    '--tls-auth-clients',
    'no',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dataDir,
    '--loglevel',
    'warning',
  ];
}

export interface TlsRedis {
  readonly port: number;
  /** A client that trusts the test CA. */
  client(port?: number): Redis;
  dispose(): Promise<void>;
}

function clients(tls: TlsMaterial) {
  const opened: Redis[] = [];
  const open = (port: number, extra: RedisOptions = {}) => {
    const c = new Redis({ host: '127.0.0.1', port, tls: { ca: tls.ca }, maxRetriesPerRequest: 1, ...extra });
    c.on('error', () => {});
    opened.push(c);
    return c;
  };
  return { open, close: () => opened.forEach((c) => c.disconnect()) };
}

/** One redis-server that accepts only TLS connections. */
export async function startTlsRedis(tls: TlsMaterial): Promise<TlsRedis> {
  const port = await freePort();
  const proc = spawnGroup('redis-server', serverArgs(tls, port, tls.dir));
  const c = clients(tls);
  await until('the TLS port', 10_000, async () =>
    (await c.open(port).ping()) === 'PONG' ? true : undefined,
  );
  return {
    port,
    client: (p = port) => c.open(p),
    dispose: async () => {
      c.close();
      await proc.stop(2000);
    },
  };
}

export interface TlsCluster extends TlsRedis {
  readonly ports: readonly number[];
}

/** Three masters, TLS for clients and for the cluster bus, slots split evenly, no replicas. */
export async function startTlsCluster(tls: TlsMaterial): Promise<TlsCluster> {
  const procs: GroupProcess[] = [];
  const ports: number[] = [];
  const buses: number[] = [];
  const c = clients(tls);
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const bus = await freePort();
      procs.push(
        spawnGroup('redis-server', [
          ...serverArgs(tls, port, tls.dir),
          '--cluster-enabled',
          'yes',
          '--tls-cluster',
          'yes',
          '--cluster-port',
          String(bus),
          '--cluster-config-file',
          join(tls.dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
        ]),
      );
      ports.push(port);
      buses.push(bus);
    }
    for (const port of ports)
      await until(`node ${port}`, 10_000, async () => String(await c.open(port).call('CLUSTER', 'MYID')));
    const ranges = [
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ] as const;
    for (const [i, port] of ports.entries())
      await c.open(port).call('CLUSTER', 'ADDSLOTSRANGE', ranges[i]![0], ranges[i]![1]);
    // The bus port is not the default port + 10000 here, so MEET names it.
    for (const port of ports.slice(1))
      await c.open(port).call('CLUSTER', 'MEET', '127.0.0.1', ports[0]!, buses[0]!);
    for (const port of ports)
      await until(`cluster_state:ok on ${port}`, 20_000, async () =>
        String(await c.open(port).call('CLUSTER', 'INFO')).includes('cluster_state:ok') ? true : undefined,
      );
  } catch (error) {
    c.close();
    await Promise.all(procs.map((p) => p.stop(1000)));
    throw error;
  }
  return {
    port: ports[0]!,
    ports,
    client: (p = ports[0]!) => c.open(p),
    dispose: async () => {
      c.close();
      await Promise.all(procs.map((p) => p.stop(2000)));
    },
  };
}
