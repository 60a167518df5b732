/**
 * The COPY TO STDOUT reader against the real PostgreSQL: rows of every length (so message headers and
 * payloads fall across the socket's chunk boundaries), a slow reader (backpressure), a server error
 * part-way through, and the connection being usable afterwards each time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgSession } from '../src/database/pg-session.ts';
import type { ConnectionSpec } from '../src/database/spec.ts';
import { createDatabase, type TestDatabase } from './databases.ts';

let db: TestDatabase;
let session: PgSession;
let expected: string;

/** Deterministic rows: lengths from 0 to ~300 bytes, plus a few far larger than a socket read. */
function rows(): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let seed = 7;
  for (let id = 1; id <= 40_000; id++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const length = id % 10_000 === 0 ? 150_000 + (seed % 1000) : seed % 300;
    out.push([id, 'x'.repeat(length)]);
  }
  return out;
}

async function drain(stream: AsyncIterable<Uint8Array>, pause?: () => Promise<void>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) {
    parts.push(Buffer.from(chunk));
    if (pause) await pause();
  }
  return Buffer.concat(parts).toString('utf8');
}

beforeAll(async () => {
  db = await createDatabase('postgres');
  await db.query('CREATE TABLE wide (id int, body text)');
  const data = rows();
  // An empty unquoted CSV field is NULL, so the generated empty strings are written quoted, as COPY does.
  expected = data.map(([id, body]) => `${id},${body === '' ? '""' : body}\n`).join('');
  const spec: ConnectionSpec = {
    dialect: 'postgres',
    host: db.host,
    port: db.port,
    database: db.name,
    user: db.user,
    password: db.password || undefined,
    tls: false,
    connectTimeoutMs: 10_000,
    label: 'test',
  };
  session = await PgSession.open(spec);
  const copy = session.copyFrom('COPY wide FROM STDIN (FORMAT csv)');
  await new Promise<void>((resolve, reject) => {
    copy.on('error', reject);
    copy.on('finish', resolve);
    copy.end(expected);
  });
});

afterAll(async () => {
  await session?.close();
  await db?.drop();
});

describe('COPY TO STDOUT reader', () => {
  it('returns exactly the bytes PostgreSQL sends, whatever the row lengths, and the row count', async () => {
    const stream = await session.copyTo('COPY (SELECT * FROM wide ORDER BY id) TO STDOUT (FORMAT csv)');
    const text = await drain(stream);
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
    expect(stream.rowCount).toBe(40_000);
    expect(await session.rows('SELECT count(*)::int FROM wide')).toEqual([[40_000]]);
  });

  it('keeps every byte when the reader is slower than the server (backpressure)', async () => {
    const stream = await session.copyTo('COPY (SELECT * FROM wide ORDER BY id) TO STDOUT (FORMAT csv)');
    let n = 0;
    const text = await drain(stream, () =>
      ++n % 50 === 0 ? new Promise((resolve) => setTimeout(resolve, 5)) : Promise.resolve(),
    );
    expect(text === expected).toBe(true);
    expect(await session.rows('SELECT 1')).toEqual([[1]]);
  });

  it('fails with the server error part-way through and leaves the connection usable', async () => {
    const stream = await session.copyTo(
      'COPY (SELECT id, 1 / (id - 30000) FROM wide ORDER BY id) TO STDOUT (FORMAT csv)',
    );
    const error = await drain(stream).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.message).toMatch(/division by zero/);
    expect(error?.code).toBe('22012');
    expect(await session.rows('SELECT 2')).toEqual([[2]]);
  });

  it('fails at once for a statement the server refuses, and the connection still works', async () => {
    const stream = await session.copyTo('COPY no_such_table TO STDOUT (FORMAT csv)');
    await expect(drain(stream)).rejects.toThrow(/no_such_table/);
    expect(await session.rows('SELECT 3')).toEqual([[3]]);
  });
});
