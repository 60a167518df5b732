/**
 * A private PostgreSQL server for the tests the shared one cannot do: it uses trust authentication and
 * no TLS. This one is initialised in a temporary directory with scram-sha-256 passwords and a self-signed
 * certificate, accepts only TLS connections on a free loopback port, and is stopped by its process group.
 */
import { freePort, spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PrivatePg {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort().reverse() : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin', name))) return join(base, v, 'bin', name);
  throw new Error(`PostgreSQL's ${name} was not found under ${base} (install postgresql)`);
}

/** initdb refuses to run as root, so the server runs as the postgres account when we are root. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export async function startPrivatePg(): Promise<PrivatePg> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-private-pg-'));
  const data = join(dir, 'data');
  const user = 'tl_secure';
  const password = `pw-${process.pid}-${Date.now()}`;
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  writeFileSync(join(dir, 'pw'), password);
  execFileSync(
    ...asPostgres(pgBin('initdb'), [
      '-D',
      data,
      '-U',
      user,
      '--pwfile',
      join(dir, 'pw'),
      '--auth',
      'scram-sha-256',
    ]),
    {
      stdio: 'pipe',
    },
  );
  execFileSync(
    ...asPostgres('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(data, 'server.key'),
      '-out',
      join(data, 'server.crt'),
    ]),
    { stdio: 'pipe' },
  );
  const port = await freePort();
  // Only TLS connections with a password are accepted over TCP.
  execFileSync(
    ...asPostgres('sh', [
      '-c',
      `echo 'hostssl all all 127.0.0.1/32 scram-sha-256' > '${join(data, 'pg_hba.conf')}'`,
    ]),
  );
  const server: GroupProcess = spawnGroup(
    ...asPostgres(pgBin('postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'ssl=on',
      '-c',
      'fsync=off',
    ]),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user,
      password,
      database: 'postgres',
      ssl: { rejectUnauthorized: false },
    });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        await server.stop(5000);
        throw new Error(`private PostgreSQL did not start: ${(error as Error).message}\n${server.output()}`, {
          cause: error,
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    user,
    password,
    async stop() {
      // SIGTERM to the group is PostgreSQL's "smart" shutdown; SIGINT is "fast", which is what a test wants.
      server.signal('SIGINT');
      await Promise.race([server.exited, new Promise((r) => setTimeout(r, 10_000))]);
      await server.stop(2000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
