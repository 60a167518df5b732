/**
 * S3 → MariaDB copies through LOAD DATA LOCAL INFILE, against the real server and the emulator's S3:
 * awkward values arrive exact, a refused local file falls back to batched INSERTs (the refusal is real:
 * the connection does not offer LOCAL_FILES, so the server rejects the statement), and a bad row fails
 * naming its line with nothing committed, on both paths.
 */
import { definitionObjectToWire, type WireObject } from '@tasklane/core';
import { emulatorEnv, startEmulator, type Emulator } from '@tasklane/emulator';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyActivity } from '../src/index.ts';
import { createDatabase, type TestDatabase } from './databases.ts';

let emulator: Emulator;
let myDb: TestDatabase;
const env = new MockHandlerEnvironment();
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  emulator = await startEmulator({ s3Buckets: ['data'] });
  for (const [key, value] of Object.entries(emulatorEnv(emulator))) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  myDb = await createDatabase('mysql');
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await emulator?.close();
  await myDb?.drop();
});

const REFUSED = 'LOAD DATA LOCAL INFILE refused; loading with batched INSERTs instead';
const PATHS = [
  { path: 'LOAD DATA LOCAL INFILE', props: [] as string[] },
  { path: 'batched INSERTs (local files refused)', props: ['allowLoadLocalInfile=false'] },
];

async function copy(key: string, table: string, props: string[]) {
  const obj = (id: string, fields: Record<string, unknown>): WireObject =>
    definitionObjectToWire({ id, ...fields }, 0);
  const objects = {
    In: obj('In', { type: 'S3DataNode', filePath: `s3://data/${key}` }),
    Out: obj('Out', { type: 'SqlDataNode', database: { ref: 'My' }, table }),
    My: myDb.object('My', props.length ? { jdbcProperties: props } : {}),
  };
  const result = await env.run(
    CopyActivity,
    fakeTask({ type: 'CopyActivity', input: { ref: 'In' }, output: { ref: 'Out' } }, { objects }),
  );
  return { ...result, refusals: result.logs.filter((l) => l.msg === REFUSED) };
}

const csvField = (v: string | null) =>
  v === null ? '' : v === '' || /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;

describe.each(PATHS)('S3 → MariaDB through $path', ({ path, props }) => {
  const tag = props.length ? 'ins' : 'load';

  it('loads every row exactly: NULLs, empty strings, tabs, newlines, backslashes, quotes, Unicode', async () => {
    const notes = [
      null,
      '',
      'tab\there',
      'two\nlines',
      'back\\slash \\N',
      'say "hi", twice',
      'Zürich ✓',
      '\\',
    ];
    const rows = Array.from({ length: 3000 }, (_, i) => [String(i + 1), notes[i % notes.length]!] as const);
    const csv = rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
    emulator.s3!.putObject('data', `${tag}/exact.csv`, csv);
    await myDb.query(`CREATE TABLE ${tag}_exact (id INT PRIMARY KEY, note TEXT)`);
    const { outcome, refusals } = await copy(`${tag}/exact.csv`, `${tag}_exact`, props);
    expect(outcome).toEqual({ status: 'FINISHED' });
    // Said once per copy when refused, never otherwise.
    expect(refusals).toHaveLength(props.length ? 1 : 0);
    if (props.length) expect(String(refusals[0]!.fields.reason)).toMatch(/errno (1148|3948|4166)/);
    const got = await myDb.query(`SELECT id, note FROM ${tag}_exact ORDER BY id`);
    expect(got).toHaveLength(3000);
    expect(got.map((r) => [String(r.id), r.note])).toEqual(rows.map(([id, note]) => [id, note]));
  });

  it(`fails a value the column rejects with its source line, past a multi-line value, committing nothing (${path})`, async () => {
    const lines = ['1,a', '2,"first\nsecond"', '3,c', '', '4,d', '5,not-a-number-but-too-long-for-it', '6,f'];
    emulator.s3!.putObject('data', `${tag}/bad.csv`, lines.join('\n') + '\n');
    await myDb.query(`CREATE TABLE ${tag}_bad (id INT, v VARCHAR(20))`);
    const { outcome } = await copy(`${tag}/bad.csv`, `${tag}_bad`, props);
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyMalformedRow' });
    // Row 5 of the load starts on line 7 of the file: the quoted newline and the blank line count.
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(
      /line 7: Data (too long|truncated) for column 'v'/,
    );
    expect(await myDb.query(`SELECT * FROM ${tag}_bad`)).toEqual([]);
  });

  it(`fails a record the parser cannot read with its line, committing nothing (${path})`, async () => {
    const good = Array.from({ length: 20_000 }, (_, i) => `${i + 1},row ${i + 1}`);
    emulator.s3!.putObject('data', `${tag}/broken.csv`, [...good, '20001,"unterminated'].join('\n'));
    await myDb.query(`CREATE TABLE ${tag}_broken (id INT, v VARCHAR(20))`);
    const { outcome } = await copy(`${tag}/broken.csv`, `${tag}_broken`, props);
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyMalformedRow' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(
      /line 20001: unterminated quoted field/,
    );
    expect(await myDb.query(`SELECT COUNT(*) AS n FROM ${tag}_broken`)).toEqual([{ n: 0 }]);
  });

  it(`fails a duplicate key, committing nothing (${path})`, async () => {
    emulator.s3!.putObject('data', `${tag}/dup.csv`, '1,a\n2,b\n2,c\n3,d\n');
    await myDb.query(`CREATE TABLE ${tag}_dup (id INT PRIMARY KEY, v VARCHAR(5))`);
    const { outcome } = await copy(`${tag}/dup.csv`, `${tag}_dup`, props);
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'CopyMalformedRow' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(/line \d: Duplicate entry '2'/);
    expect(await myDb.query(`SELECT * FROM ${tag}_dup`)).toEqual([]);
  });
});
