import type { Readable, Writable } from 'node:stream';
import type { ConnectionSpec, Dialect } from './spec.ts';

/**
 * One open database session, the same surface for both protocols. Statements arrive with placeholders
 * already in the dialect's form (`$1` for PostgreSQL, `?` for MySQL); values are always bound by the
 * driver, never written into the SQL text.
 */
export interface SqlSession {
  readonly dialect: Dialect;
  readonly spec: ConnectionSpec;
  /** Runs one statement; resolves with the number of rows it affected or returned. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs one statement and returns its rows as arrays of values. */
  rows(sql: string, params?: readonly unknown[]): Promise<unknown[][]>;
  /** Cancels the statement running now, on the server, from a second connection. */
  cancel(): Promise<void>;
  /** Server-side limit for every later statement, so a stuck query dies even if we vanish. */
  setStatementTimeout(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** PostgreSQL extras: COPY in both directions through streams. */
export interface PgSessionExtras {
  copyFrom(sql: string): Writable & { rowCount: number };
  copyTo(sql: string): Promise<Readable>;
}

/** MySQL extras: rows streamed with backpressure. */
export interface MySqlSessionExtras {
  streamRows(sql: string): Readable;
}
