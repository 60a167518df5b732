import type { Readable } from 'node:stream';
import type { MySqlSession } from '../database/mysql-session.ts';
import type { PgSession } from '../database/pg-session.ts';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from '../errors.ts';
import { CSV, type DataFormat } from '../format/data-format.ts';
import type { S3Node, SqlNode } from '../nodes.ts';
import type { EnvReader } from '../objects.ts';
import { listKeys, readObject } from '../s3.ts';
import { pgCsvOptions, selectQueryOf } from './sql-text.ts';
import { encodeRows, type Segment } from './segment.ts';
import { localFiles, readLocal } from './local-files.ts';
import { through } from './streams.ts';

/** Every object of an S3 data node as a segment, decompressed when the node says gzip. */
export async function* s3Segments(
  node: S3Node,
  env: EnvReader,
  signal?: AbortSignal,
): AsyncGenerator<Segment> {
  const local = node.store === 'local';
  const keys = local
    ? localFiles(node)
    : node.directory
      ? listKeys(env, node.bucket, node.key, signal)
      : single(node.key);
  let count = 0;
  for await (const key of keys) {
    count++;
    const name = local ? key : `s3://${node.bucket}/${key}`;
    let body: Readable;
    try {
      body = local ? readLocal(key) : await readObject(env, node.bucket, key, signal);
    } catch (error) {
      throw sqlFailure(SqlErrorId.S3Failed, `could not read ${name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    yield { name, format: node.format, chunks: node.gzip ? through(body, 'gunzip') : body };
  }
  if (count === 0 && node.directory) {
    throw sqlFailure(SqlErrorId.S3Failed, `${node.url} holds no objects to copy`);
  }
}

async function* single(key: string): AsyncGenerator<string> {
  yield key;
}

/** A PostgreSQL table or query as one CSV segment, straight from `COPY … TO STDOUT`. */
export function pgSegment(session: PgSession, node: SqlNode, format: DataFormat = CSV): Segment {
  const query = selectQueryOf(node);
  const source = node.selectQuery ? `(${query})` : node.table!;
  const name = `${node.id} (${node.selectQuery ? 'selectQuery' : `table ${node.table}`})`;
  return {
    name,
    format,
    chunks: lazy(name, () => session.copyTo(`COPY ${source} TO STDOUT (${pgCsvOptions(format)})`)),
  };
}

/** A MySQL table or query as one CSV segment, rows streamed with backpressure and encoded as they come. */
export function mySqlSegment(session: MySqlSession, node: SqlNode, format: DataFormat = CSV): Segment {
  const query = selectQueryOf(node);
  const name = `${node.id} (${node.selectQuery ? 'selectQuery' : `table ${node.table}`})`;
  return {
    name,
    format,
    chunks: encodeRows(readFailures(name, batches(session.streamRows(query))), format),
  };
}

async function* lazy(
  name: string,
  open: () => Promise<AsyncIterable<Uint8Array>>,
): AsyncGenerator<Uint8Array> {
  yield* readFailures(name, await open().catch((error: unknown) => Promise.reject(readFailed(name, error))));
}

/** A query that fails while its rows stream out is FAILED naming the source, not a bare driver error. */
async function* readFailures<T>(name: string, source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw readFailed(name, error);
  }
}

function readFailed(name: string, error: unknown) {
  if (isTaskFailure(error)) return error;
  return sqlFailure(SqlErrorId.QueryFailed, `reading ${name} failed: ${reason(error)}`, { cause: error });
}

async function* batches(rows: Readable): AsyncGenerator<(string | null)[][]> {
  let batch: (string | null)[][] = [];
  for await (const row of rows as AsyncIterable<unknown[]>) {
    batch.push(row.map(toText));
    if (batch.length >= 500) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** MySQL values as the text a file holds; binary columns are written as UTF-8, JSON as JSON. */
function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return `${value as number | bigint | boolean}`;
}
