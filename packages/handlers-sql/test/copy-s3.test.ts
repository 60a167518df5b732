import { definitionObjectToWire, type WireObject } from '@tasklane/core';
import { emulatorEnv, startEmulator, type Emulator } from '@tasklane/emulator';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyActivity, Exists, SqlActivity } from '../src/index.ts';
import { createDatabase, type TestDatabase } from './databases.ts';

let emulator: Emulator;
let env: MockHandlerEnvironment;
let pgDb: TestDatabase;
let myDb: TestDatabase;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  emulator = await startEmulator({ s3Buckets: ['data'] });
  // The handlers reach the emulator the way a spawned runner would: the SDK's standard variables
  // (endpoint, region, credentials) in the process environment.
  for (const [key, value] of Object.entries(emulatorEnv(emulator))) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  env = new MockHandlerEnvironment();
  [pgDb, myDb] = await Promise.all([createDatabase('postgres'), createDatabase('mysql')]);
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await emulator?.close();
  await Promise.all([pgDb?.drop(), myDb?.drop()]);
});

type Fields = Record<string, string | { ref: string }>;
const obj = (id: string, fields: Fields): WireObject => definitionObjectToWire({ id, ...fields }, 0);
const s3Node = (id: string, fields: Fields) => obj(id, { type: 'S3DataNode', ...fields });
const sqlNode = (id: string, dbId: string, fields: Fields) =>
  obj(id, { type: 'SqlDataNode', database: { ref: dbId }, ...fields });
const copy = (objects: Record<string, WireObject>) =>
  env.run(
    CopyActivity,
    fakeTask({ type: 'CopyActivity', input: { ref: 'In' }, output: { ref: 'Out' } }, { objects }),
  );
const text = (key: string) => Buffer.from(emulator.s3!.getObject('data', key) ?? []).toString('utf8');

describe('CopyActivity through S3 (the emulator’s S3 endpoint)', () => {
  it('PostgreSQL → S3 (gzip) → MariaDB', async () => {
    await pgDb.query(
      "CREATE TABLE s_src AS SELECT g AS id, 'name, ' || g AS name FROM generate_series(1, 5000) g",
    );
    const out = await copy({
      In: sqlNode('In', 'Pg', { table: 's_src' }),
      Out: s3Node('Out', { filePath: 's3://data/export/s_src.csv.gz', compression: 'gzip' }),
      Pg: pgDb.object('Pg'),
    });
    expect(out.outcome).toEqual({ status: 'FINISHED' });
    const lines = gunzipSync(emulator.s3!.getObject('data', 'export/s_src.csv.gz')!)
      .toString('utf8')
      .split('\n');
    expect(lines.slice(0, 2)).toEqual(['1,"name, 1"', '2,"name, 2"']);

    await myDb.query('CREATE TABLE s_dst (id INT PRIMARY KEY, name VARCHAR(30))');
    const back = await copy({
      In: s3Node('In', { filePath: 's3://data/export/s_src.csv.gz', compression: 'gzip' }),
      Out: sqlNode('Out', 'My', { table: 's_dst' }),
      My: myDb.object('My'),
    });
    expect(back.outcome).toEqual({ status: 'FINISHED' });
    expect(await myDb.query('SELECT COUNT(*) AS n, MAX(name) AS top FROM s_dst')).toEqual([
      { n: 5000, top: 'name, 999' },
    ]);
  });

  it('streams an export bigger than one part as a multipart upload and leaves no upload open', async () => {
    const out = await copy({
      In: sqlNode('In', 'Pg', { selectQuery: "SELECT g, repeat('x', 40) FROM generate_series(1, 400000) g" }),
      Out: s3Node('Out', { directoryPath: 's3://data/big/' }),
      Pg: pgDb.object('Pg'),
    });
    expect(out.outcome).toEqual({ status: 'FINISHED' });
    const body = emulator.s3!.getObject('data', 'big/part-00000.csv')!;
    expect(body.length).toBeGreaterThan(16 * 1024 * 1024);
    expect(Buffer.from(body.subarray(body.length - 50)).toString('utf8')).toMatch(/\n400000,x{40}\n$/);
    const requests = emulator.control.observations().requests;
    expect(requests['S3.UploadPart']).toBeGreaterThanOrEqual(2);
    expect(emulator.s3!.openUploads()).toEqual([]);
  });

  it('a query that fails mid-export fails the task, writes no object and aborts its multipart upload', async () => {
    const { outcome } = await copy({
      In: sqlNode('In', 'Pg', {
        selectQuery:
          "SELECT g, repeat('y', 60), CASE WHEN g = 350000 THEN 1 / (g - g) ELSE 0 END FROM generate_series(1, 400000) g",
      }),
      Out: s3Node('Out', { filePath: 's3://data/failed/out.csv' }),
      Pg: pgDb.object('Pg'),
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlQueryFailed' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(
      /reading In \(selectQuery\) failed: division by zero/,
    );
    expect(emulator.s3!.listKeys('data', 'failed/')).toEqual([]);
    expect(emulator.s3!.openUploads()).toEqual([]);
  });

  it('MariaDB → S3 as TSV → PostgreSQL, and every object of a directory S3 → S3 into one gzipped CSV', async () => {
    await myDb.query('CREATE TABLE t_src (id INT, v VARCHAR(20))');
    await myDb.query("INSERT INTO t_src VALUES (1, 'tab\\there'), (2, NULL), (3, '')");
    const tsv = obj('Tsv', { type: 'TSV' });
    const out = await copy({
      In: sqlNode('In', 'My', { selectQuery: 'SELECT id, v FROM t_src ORDER BY id' }),
      Out: s3Node('Out', { filePath: 's3://data/tsv/t.tsv', dataFormat: { ref: 'Tsv' } }),
      Tsv: tsv,
      My: myDb.object('My'),
    });
    expect(out.outcome).toEqual({ status: 'FINISHED' });
    expect(text('tsv/t.tsv')).toBe('1\ttab\\there\n2\t\\N\n3\t\n');

    await pgDb.query('CREATE TABLE t_dst (id INT, v TEXT)');
    const into = await copy({
      In: s3Node('In', { filePath: 's3://data/tsv/t.tsv', dataFormat: { ref: 'Tsv' } }),
      Out: sqlNode('Out', 'Pg', { table: 't_dst' }),
      Tsv: tsv,
      Pg: pgDb.object('Pg'),
    });
    expect(into.outcome).toEqual({ status: 'FINISHED' });
    expect(await pgDb.query('SELECT id, v FROM t_dst ORDER BY id')).toEqual([
      { id: 1, v: 'tab\there' },
      { id: 2, v: null },
      { id: 3, v: '' },
    ]);

    emulator.s3!.putObject('data', 'parts/a.csv', '1,a\n');
    emulator.s3!.putObject('data', 'parts/b.csv', '2,b\n');
    const merged = await copy({
      In: s3Node('In', { directoryPath: 's3://data/parts' }),
      Out: s3Node('Out', { filePath: 's3://data/merged.csv.gz', compression: 'gzip' }),
    });
    expect(merged.outcome).toEqual({ status: 'FINISHED' });
    expect(gunzipSync(emulator.s3!.getObject('data', 'merged.csv.gz')!).toString('utf8')).toBe('1,a\n2,b\n');
  });

  it('fails a malformed CSV object naming its s3:// URL and line, loading nothing', async () => {
    emulator.s3!.putObject('data', 'bad/rows.csv.gz', gzipSync('1,a\n2,b\n3\n'));
    await pgDb.query('CREATE TABLE m_dst (id INT, v TEXT)');
    const { outcome } = await copy({
      In: s3Node('In', { filePath: 's3://data/bad/rows.csv.gz', compression: 'gzip' }),
      Out: sqlNode('Out', 'Pg', { table: 'm_dst' }),
      Pg: pgDb.object('Pg'),
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyMalformedRow' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(
      /malformed row in s3:\/\/data\/bad\/rows.csv.gz, line 3: missing data for column "v"/,
    );
    expect(await pgDb.query('SELECT * FROM m_dst')).toEqual([]);
  });

  it('fails a missing input object as an S3 error naming it', async () => {
    const { outcome } = await copy({
      In: s3Node('In', { filePath: 's3://data/nope.csv' }),
      Out: s3Node('Out', { filePath: 's3://data/never.csv' }),
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyS3Failed' });
    expect((outcome as { errorMessage: string }).errorMessage).toContain('s3://data/nope.csv');
  });
});

describe('Exists and SqlActivity with S3', () => {
  const exists = (fields: Fields) =>
    env.run(
      Exists,
      fakeTask({ type: 'Exists', node: { ref: 'N' } }, { objects: { N: s3Node('N', fields) } }),
    );

  it('Exists: key and prefix present → FINISHED, absent → FALSE', async () => {
    emulator.s3!.putObject('data', 'ready/_SUCCESS', '');
    expect((await exists({ filePath: 's3://data/ready/_SUCCESS' })).outcome).toEqual({ status: 'FINISHED' });
    expect((await exists({ directoryPath: 's3://data/ready' })).outcome).toEqual({ status: 'FINISHED' });
    expect((await exists({ filePath: 's3://data/ready/_MISSING' })).outcome).toEqual({
      status: 'FALSE',
      message: 's3://data/ready/_MISSING does not exist',
    });
    expect((await exists({ directoryPath: 's3://data/empty-prefix/' })).outcome).toMatchObject({
      status: 'FALSE',
    });
  });

  it('SqlActivity reads its script from scriptUri on S3', async () => {
    emulator.s3!.putObject(
      'data',
      'scripts/make.sql',
      'CREATE TABLE from_s3 (n INT); INSERT INTO from_s3 VALUES (?);',
    );
    const { outcome } = await env.run(
      SqlActivity,
      fakeTask(
        {
          type: 'SqlActivity',
          database: { ref: 'Pg' },
          scriptUri: 's3://data/scripts/make.sql',
          scriptArgument: ['5'],
        },
        { objects: { Pg: pgDb.object('Pg') } },
      ),
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(await pgDb.query('SELECT n FROM from_s3')).toEqual([{ n: 5 }]);
  });
});
