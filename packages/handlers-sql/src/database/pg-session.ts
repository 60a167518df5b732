import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyOut } from './pg-copy-out.ts';
import type { PgSessionExtras, SqlSession } from './session.ts';
import type { ConnectionSpec } from './spec.ts';

type PgClient = pg.Client & { processID?: number | null };

const COPY_BUFFER_BYTES = 1024 * 1024;

function clientConfig(spec: ConnectionSpec): pg.ClientConfig {
  return {
    host: spec.host,
    port: spec.port,
    ...(spec.database !== undefined ? { database: spec.database } : {}),
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.password !== undefined ? { password: spec.password } : {}),
    ssl: spec.tls === false ? false : { rejectUnauthorized: spec.tls.rejectUnauthorized },
    connectionTimeoutMillis: spec.connectTimeoutMs,
    application_name: 'tasklane',
  };
}

/** A PostgreSQL (or Redshift) session through `pg`, with COPY through `pg-copy-streams`. */
export class PgSession implements SqlSession, PgSessionExtras {
  readonly dialect = 'postgres' as const;
  private constructor(
    readonly spec: ConnectionSpec,
    private readonly client: PgClient,
  ) {}

  static async open(spec: ConnectionSpec): Promise<PgSession> {
    const client: PgClient = new pg.Client(clientConfig(spec));
    // A dropped connection emits 'error' on the client; without a listener it would crash the runner.
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return new PgSession(spec, client);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const result = await this.client.query(params.length ? { text: sql, values: [...params] } : sql);
    // A multi-statement simple query returns one result per statement.
    const last = Array.isArray(result) ? (result as pg.QueryResult[]).at(-1) : result;
    return last?.rowCount ?? 0;
  }

  async rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    const result = await this.client.query({ text: sql, values: [...params], rowMode: 'array' });
    return result.rows as unknown[][];
  }

  async cancel(): Promise<void> {
    const pid = this.client.processID;
    if (!pid) return;
    const other: PgClient = new pg.Client(clientConfig(this.spec));
    other.on('error', () => {});
    try {
      await other.connect();
      await other.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await other.end().catch(() => {});
    }
  }

  async setStatementTimeout(ms: number): Promise<void> {
    await this.client.query(`SET statement_timeout = ${Math.max(1, Math.ceil(ms))}`);
  }

  copyFrom(sql: string): ReturnType<typeof copyFrom> {
    return this.client.query(copyFrom(sql));
  }

  /**
   * Under Deno, a COPY TO sent on a connection that sat idle while another socket was opened never gets
   * its data events; one plain round trip first wakes the socket up (Node and Bun do not need it).
   */
  async copyTo(sql: string): Promise<CopyOut> {
    await this.client.query('SELECT 1');
    // A 16 KiB buffer (the default) pauses the socket every few rows' worth of data; 1 MiB keeps the
    // server streaming while the consumer works, and backpressure still bounds it.
    return this.client.query(new CopyOut(sql, { highWaterMark: COPY_BUFFER_BYTES }));
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
