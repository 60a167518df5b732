import mysql from 'mysql2';
import type { Readable } from 'node:stream';
import type { MySqlSessionExtras, SqlSession } from './session.ts';
import type { ConnectionSpec } from './spec.ts';

type Conn = mysql.Connection;

export interface LocalLoad {
  /** The server asked for the file (it did not refuse LOAD DATA LOCAL outright). */
  readonly opened: boolean;
  readonly error: unknown;
  readonly affectedRows: number;
  /** Warnings the statement left (SHOW WARNINGS lists them). */
  readonly warnings: number;
}

function connectionOptions(spec: ConnectionSpec): mysql.ConnectionOptions {
  return {
    host: spec.host,
    port: spec.port,
    ...(spec.database !== undefined ? { database: spec.database } : {}),
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.password !== undefined ? { password: spec.password } : {}),
    ...(spec.tls === false ? {} : { ssl: { rejectUnauthorized: spec.tls.rejectUnauthorized } }),
    connectTimeout: spec.connectTimeoutMs,
    // mysql2 offers LOAD DATA LOCAL by default; a database object can turn it off (allowLoadLocalInfile=false).
    ...(spec.localInfile === false ? { flags: ['-LOCAL_FILES'] } : {}),
    // One statement per call: scripts are split by us, so a parameter can never smuggle in a second one.
    multipleStatements: false,
    // Values come back as text where they would lose precision, the way they would be written to a file.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
  };
}

function connect(spec: ConnectionSpec): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const conn = mysql.createConnection(connectionOptions(spec));
    conn.connect((error) => {
      if (error) {
        conn.destroy();
        reject(error);
      } else resolve(conn);
    });
  });
}

/** A MySQL or MariaDB session through `mysql2`. */
export class MySqlSession implements SqlSession, MySqlSessionExtras {
  readonly dialect = 'mysql' as const;
  private constructor(
    readonly spec: ConnectionSpec,
    private readonly conn: Conn,
  ) {
    // A dropped connection emits 'error'; without a listener it would crash the runner.
    conn.on('error', () => {});
  }

  static async open(spec: ConnectionSpec): Promise<MySqlSession> {
    return new MySqlSession(spec, await connect(spec));
  }

  /** Parameterised statements go through server-side prepare (`execute`), so values are never spliced. */
  #call<T>(sql: string, params: readonly unknown[], rowsAsArray: boolean): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (error: unknown, result: unknown) => (error ? reject(error) : resolve(result as T));
      if (params.length) this.conn.execute({ sql, values: [...params], rowsAsArray } as never, done);
      else this.conn.query({ sql, rowsAsArray }, done);
    });
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const result = await this.#call<unknown>(sql, params, false);
    if (Array.isArray(result)) return result.length;
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  async rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    const result = await this.#call<unknown>(sql, params, true);
    return Array.isArray(result) ? (result as unknown[][]) : [];
  }

  async cancel(): Promise<void> {
    const other = await connect(this.spec);
    try {
      await new Promise<void>((resolve, reject) =>
        other.query(`KILL QUERY ${Number(this.conn.threadId)}`, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
    } finally {
      other.destroy();
    }
  }

  async setStatementTimeout(ms: number): Promise<void> {
    const seconds = Math.max(0.001, ms / 1000).toFixed(3);
    // MariaDB names it max_statement_time (seconds, any statement); MySQL max_execution_time (ms, SELECT only).
    await this.run(`SET SESSION max_statement_time = ${seconds}`).catch(() =>
      this.run(`SET SESSION max_execution_time = ${Math.ceil(ms)}`).catch(() => 0),
    );
  }

  /** Rows of a parameterless query (a data node's selectQuery), read with backpressure. */
  streamRows(sql: string): Readable {
    return this.conn.query({ sql, rowsAsArray: true }).stream({ highWaterMark: 256 });
  }

  /**
   * Runs a `LOAD DATA LOCAL INFILE` whose file is `body`. Never rejects: the outcome says whether the
   * server asked for the file at all (`opened`), so a refusal can be told from a failure part-way.
   */
  loadLocal(sql: string, body: Readable): Promise<LocalLoad> {
    let opened = false;
    const infileStreamFactory = () => {
      opened = true;
      return body;
    };
    return new Promise((resolve) => {
      this.conn.query({ sql, infileStreamFactory } as never, (error: unknown, result: unknown) => {
        const header = (result ?? {}) as { affectedRows?: number; warningStatus?: number };
        resolve({
          opened,
          error: error ?? undefined,
          affectedRows: header.affectedRows ?? 0,
          warnings: header.warningStatus ?? 0,
        });
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.conn.end(() => resolve()));
    this.conn.destroy();
  }
}
