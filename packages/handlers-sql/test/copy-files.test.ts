import { definitionObjectToWire, type WireObject } from '@tasklane/core';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyActivity, Exists } from '../src/index.ts';
import { createDatabase, type TestDatabase } from './databases.ts';

const env = new MockHandlerEnvironment();
let pgDb: TestDatabase;
let myDb: TestDatabase;
let dir: string;

beforeAll(async () => {
  [pgDb, myDb] = await Promise.all([createDatabase('postgres'), createDatabase('mysql')]);
  dir = mkdtempSync(join(tmpdir(), 'tl-copy-files-'));
});
afterAll(async () => {
  await Promise.all([pgDb?.drop(), myDb?.drop()]);
  rmSync(dir, { recursive: true, force: true });
});

type Fields = Record<string, string | { ref: string }>;
const obj = (id: string, fields: Fields): WireObject => definitionObjectToWire({ id, ...fields }, 0);
const fileNode = (id: string, fields: Fields) => obj(id, { type: 'S3DataNode', ...fields });
const sqlNode = (id: string, dbId: string, fields: Fields) =>
  obj(id, { type: 'SqlDataNode', database: { ref: dbId }, ...fields });

const copy = (objects: Record<string, WireObject>) =>
  env.run(
    CopyActivity,
    fakeTask({ type: 'CopyActivity', input: { ref: 'In' }, output: { ref: 'Out' } }, { objects }),
  );

describe('CopyActivity with files on the runner host', () => {
  it('PostgreSQL → gzipped CSV file → MariaDB', async () => {
    await pgDb.query("CREATE TABLE f_src AS SELECT g AS id, 'v' || g AS v FROM generate_series(1, 1000) g");
    const path = join(dir, 'out', 'export.csv.gz');
    const first = await copy({
      In: sqlNode('In', 'PgDb', { table: 'f_src' }),
      Out: fileNode('Out', { filePath: path, compression: 'GZIP' }),
      PgDb: pgDb.object('PgDb'),
    });
    expect(first.outcome).toEqual({ status: 'FINISHED' });
    const text = gunzipSync(readFileSync(path)).toString('utf8');
    expect(text.split('\n').slice(0, 2)).toEqual(['1,v1', '2,v2']);

    await myDb.query('CREATE TABLE f_dst (id INT, v VARCHAR(10))');
    const second = await copy({
      In: fileNode('In', { filePath: `file://${path}`, compression: 'gzip' }),
      Out: sqlNode('Out', 'MyDb', { table: 'f_dst' }),
      MyDb: myDb.object('MyDb'),
    });
    expect(second.outcome).toEqual({ status: 'FINISHED' });
    expect(await myDb.query('SELECT COUNT(*) AS n, SUM(id) AS s FROM f_dst')).toEqual([
      { n: 1000, s: '500500' },
    ]);
  });

  it('reads every file of a directoryPath, in a TSV format, into PostgreSQL in one transaction', async () => {
    const inDir = join(dir, 'tsv-in');
    mkdirSync(join(inDir, 'sub'), { recursive: true });
    writeFileSync(join(inDir, 'a.tsv'), '1\tone\n2\t\\N\n');
    writeFileSync(join(inDir, 'sub', 'b.tsv'), '3\tthree\\tthree\n');
    await pgDb.query('CREATE TABLE tsv_dst (id INT, v TEXT)');
    const { outcome } = await copy({
      In: fileNode('In', { directoryPath: inDir, dataFormat: { ref: 'Tsv' } }),
      Tsv: obj('Tsv', { type: 'TSV' }),
      Out: sqlNode('Out', 'PgDb', { table: 'tsv_dst' }),
      PgDb: pgDb.object('PgDb'),
    });
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(await pgDb.query('SELECT id, v FROM tsv_dst ORDER BY id')).toEqual([
      { id: 1, v: 'one' },
      { id: 2, v: null },
      { id: 3, v: 'three\tthree' },
    ]);
  });

  it.each(['postgres', 'mysql'] as const)(
    'fails a malformed CSV row into %s naming file and line, loading nothing',
    async (kind) => {
      const path = join(dir, `bad-${kind}.csv`);
      writeFileSync(path, '1,a\n2,b\n3,c,EXTRA\n4,d\n');
      const db = kind === 'postgres' ? pgDb : myDb;
      await db.query(`CREATE TABLE bad_${kind} (id INT, v VARCHAR(5))`);
      const { outcome } = await copy({
        In: fileNode('In', { filePath: path }),
        Out: sqlNode('Out', 'Db', { table: `bad_${kind}` }),
        Db: db.object('Db'),
      });
      expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyMalformedRow' });
      const message = (outcome as { errorMessage: string }).errorMessage;
      expect(message).toContain(`malformed row in ${path}, line 3`);
      expect(message).toMatch(
        kind === 'postgres' ? /extra data after last expected column/ : /expected 2 fields, found 3/,
      );
      expect(await db.query(`SELECT * FROM bad_${kind}`)).toEqual([]);
    },
  );

  it('copies file → file changing CSV into a custom format, and gzip into plain', async () => {
    const src = join(dir, 'in.csv.gz');
    writeFileSync(src, gzipSync('1,"a|b"\n2,\n'));
    const out = join(dir, 'custom-out');
    const { outcome } = await copy({
      In: fileNode('In', { filePath: src, compression: 'gzip' }),
      Out: fileNode('Out', { directoryPath: out, dataFormat: { ref: 'Semi' } }),
      Semi: obj('Semi', { type: 'TSV', columnSeparator: ';' }),
    });
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(readFileSync(join(out, 'part-00000.tsv'), 'utf8')).toBe('1;a|b\n2;\\N\n');
  });

  it('Exists: FINISHED for a file that is there, FALSE for one that is not', async () => {
    const present = join(dir, 'present.csv');
    writeFileSync(present, 'x\n');
    const exists = (path: string) =>
      env.run(
        Exists,
        fakeTask(
          { type: 'Exists', node: { ref: 'N' } },
          { objects: { N: fileNode('N', { filePath: path }) } },
        ),
      );
    expect((await exists(present)).outcome).toEqual({ status: 'FINISHED' });
    expect((await exists(join(dir, 'absent.csv'))).outcome).toMatchObject({ status: 'FALSE' });
  });
});
