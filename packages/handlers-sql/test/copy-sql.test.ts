import { definitionObjectToWire } from '@tasklane/core';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyActivity } from '../src/index.ts';
import { createDatabase, type TestDatabase } from './databases.ts';

const env = new MockHandlerEnvironment();
let pgDb: TestDatabase;
let myDb: TestDatabase;

beforeAll(async () => {
  [pgDb, myDb] = await Promise.all([createDatabase('postgres'), createDatabase('mysql')]);
});
afterAll(async () => {
  await Promise.all([pgDb?.drop(), myDb?.drop()]);
});

const node = (id: string, dbId: string, fields: Record<string, string>) =>
  definitionObjectToWire({ id, type: 'SqlDataNode', database: { ref: dbId }, ...fields }, 0);

function copyTask(
  input: Record<string, string>,
  inputDb: TestDatabase,
  output: Record<string, string>,
  outputDb: TestDatabase,
) {
  return fakeTask(
    { type: 'CopyActivity', input: { ref: 'In' }, output: { ref: 'Out' } },
    {
      objects: {
        In: node('In', 'InDb', input),
        Out: node('Out', 'OutDb', output),
        InDb: inputDb.object('InDb'),
        OutDb: outputDb.object('OutDb'),
      },
    },
  );
}

describe('CopyActivity between databases', () => {
  it('copies PostgreSQL → MariaDB, creating the table, keeping NULLs, empty strings and awkward text', async () => {
    await pgDb.query('CREATE TABLE src (id INT, name TEXT, note TEXT)');
    await pgDb.query(
      `INSERT INTO src SELECT g, 'name ' || g, CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '' ELSE E'a,"b"\\nc' END FROM generate_series(1, 2500) g`,
    );
    const { outcome } = await env.run(
      CopyActivity,
      copyTask(
        { selectQuery: 'SELECT id, name, note FROM src ORDER BY id' },
        pgDb,
        {
          table: 'dst',
          createTableSql: 'CREATE TABLE dst (id INT PRIMARY KEY, name VARCHAR(50), note TEXT)',
        },
        myDb,
      ),
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    const rows = await myDb.query('SELECT id, name, note FROM dst ORDER BY id');
    expect(rows).toHaveLength(2500);
    expect(rows.slice(0, 3)).toEqual([
      { id: 1, name: 'name 1', note: '' },
      { id: 2, name: 'name 2', note: 'a,"b"\nc' },
      { id: 3, name: 'name 3', note: null },
    ]);
  });

  it('copies MariaDB → PostgreSQL through COPY', async () => {
    await myDb.query('CREATE TABLE m_src (id INT, amount DECIMAL(10,2), at DATETIME, label VARCHAR(20))');
    await myDb.query(
      "INSERT INTO m_src VALUES (1, 12.50, '2024-05-01 10:00:00', 'x'), (2, NULL, NULL, ''), (3, -1.00, '2024-05-02 00:00:00', 'tab\there')",
    );
    await pgDb.query('CREATE TABLE p_dst (id INT, amount NUMERIC, at TIMESTAMP, label TEXT)');
    const { outcome } = await env.run(
      CopyActivity,
      copyTask({ table: 'm_src' }, myDb, { table: 'p_dst' }, pgDb),
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    const rows = await pgDb.query(
      "SELECT id, amount::text, to_char(at, 'YYYY-MM-DD HH24:MI') AS at, label FROM p_dst ORDER BY id",
    );
    expect(rows).toEqual([
      { id: 1, amount: '12.50', at: '2024-05-01 10:00', label: 'x' },
      { id: 2, amount: null, at: null, label: '' },
      { id: 3, amount: '-1.00', at: '2024-05-02 00:00', label: 'tab\there' },
    ]);
  });

  it('fails a row the target rejects with its line, and commits nothing (PostgreSQL target)', async () => {
    await myDb.query('CREATE TABLE bad_src (v VARCHAR(10))');
    await myDb.query("INSERT INTO bad_src VALUES ('1'), ('2'), ('three'), ('4')");
    await pgDb.query('CREATE TABLE int_dst (v INT)');
    const { outcome } = await env.run(
      CopyActivity,
      copyTask({ selectQuery: 'SELECT v FROM bad_src ORDER BY v' }, myDb, { table: 'int_dst' }, pgDb),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyMalformedRow' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(
      /line 4: invalid input syntax for type integer: "three"/,
    );
    expect(await pgDb.query('SELECT * FROM int_dst')).toEqual([]);
  });

  it('fails a row the target rejects with its line, and commits nothing (MariaDB target)', async () => {
    await pgDb.query('CREATE TABLE bad_pg (v TEXT, n INT)');
    await pgDb.query("INSERT INTO bad_pg VALUES ('a', 1), ('b', 2), ('way too long for the column', 3)");
    await myDb.query('CREATE TABLE short_dst (v VARCHAR(5), n INT)');
    const { outcome } = await env.run(
      CopyActivity,
      copyTask({ selectQuery: 'SELECT v, n FROM bad_pg ORDER BY n' }, pgDb, { table: 'short_dst' }, myDb),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyMalformedRow' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(
      /line 3: Data (too long|truncated) for column 'v'/,
    );
    expect(await myDb.query('SELECT * FROM short_dst')).toEqual([]);
  });

  it('binds each row to insertQuery placeholders', async () => {
    await pgDb.query("CREATE TABLE iq_src AS SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y'");
    await myDb.query('CREATE TABLE iq_dst (a INT, b VARCHAR(5), c VARCHAR(5))');
    const { outcome } = await env.run(
      CopyActivity,
      copyTask(
        { selectQuery: 'SELECT a, b FROM iq_src ORDER BY a' },
        pgDb,
        { table: 'iq_dst', insertQuery: "INSERT INTO iq_dst (a, b, c) VALUES (?, ?, 'k')" },
        myDb,
      ),
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(await myDb.query('SELECT a, b, c FROM iq_dst ORDER BY a')).toEqual([
      { a: 1, b: 'x', c: 'k' },
      { a: 2, b: 'y', c: 'k' },
    ]);
  });

  it('cancelling a copy cancels its query on the server and commits nothing', async () => {
    await pgDb.query('CREATE TABLE slow_dst (n INT)');
    const run = env.run(
      CopyActivity,
      copyTask(
        { selectQuery: 'SELECT g FROM generate_series(1, 3) g, LATERAL (SELECT pg_sleep(10)) s' },
        pgDb,
        { table: 'slow_dst' },
        pgDb,
      ),
    );
    const until = Date.now() + 15_000;
    const active = async () =>
      Number(
        (
          await pgDb.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(10)%' AND pid <> pg_backend_pid()",
          )
        )[0]!.n,
      );
    while ((await active()) === 0) {
      if (Date.now() > until) throw new Error('the copy query never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    const started = Date.now();
    env.cancel();
    const { outcome } = await run;
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlAborted' });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await active()).toBe(0);
    expect(await pgDb.query('SELECT * FROM slow_dst')).toEqual([]);
  });

  it('refuses a table name that is not a plain identifier', async () => {
    const { outcome } = await env.run(
      CopyActivity,
      copyTask({ table: 'src' }, pgDb, { table: 'dst; DROP TABLE src' }, myDb),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlInvalidSpec' });
    expect(await pgDb.query('SELECT count(*)::int AS n FROM src')).toEqual([{ n: 2500 }]);
  });
});
