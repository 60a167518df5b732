/**
 * End to end: the real bin/tasklane of each runtime app, as a process, against the emulator, running
 * the example pipeline of docs/examples (PostgreSQL → file → shell transform → MariaDB, SqlActivity on
 * both databases, an Exists precondition) and a pipeline of bad inputs that must each end FAILED.
 */
import { emulatorEnv, startEmulator, type Emulator } from '@tasklane/emulator';
import type { GroupProcess } from '@tasklane/test-utils';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type TestDatabase } from './databases.ts';
import {
  activatePipeline,
  ensureBuilt,
  startRunner,
  waitForComponents,
  type RuntimeName,
} from './e2e-helpers.ts';

const RUNTIMES: RuntimeName[] = ['node', 'bun', 'deno'];
/** Whole pipelines through real processes: generous, so a loaded CI machine is slow rather than red. */
const E2E_TIMEOUT_MS = 120_000;
const example = JSON.parse(
  readFileSync(new URL('../../../docs/examples/postgres-to-mariadb.json', import.meta.url), 'utf8'),
) as { objects: Array<Record<string, unknown>> };

let emulator: Emulator;
let pgDb: TestDatabase;
let myDb: TestDatabase;
let dir: string;
const runners: GroupProcess[] = [];
/** MariaDB accounts a test created; dropped at the end even when the test failed half way. */
const users: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  emulator = await startEmulator({ longPollMs: 500, s3Buckets: ['lake'] });
  [pgDb, myDb] = await Promise.all([createDatabase('postgres'), createDatabase('mysql')]);
  dir = mkdtempSync(join(tmpdir(), 'tl-sql-e2e-'));
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop(5000)));
});
afterAll(async () => {
  for (const user of users) await myDb?.query(`DROP USER IF EXISTS '${user}'@'%'`);
  await emulator?.close();
  await Promise.all([pgDb?.drop(), myDb?.drop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The example definition pointed at the test databases, a private directory and a worker group. */
function exampleFor(group: string, suffix: string) {
  const path = (name: string) => join(dir, `${suffix}-${name}`);
  return {
    objects: example.objects.map((object) => {
      const o = { ...object };
      if (o.id === 'Default') o.workerGroup = group;
      if (o.id === 'SourceDb')
        Object.assign(o, {
          connectionString: pgDb.jdbcUrl,
          username: pgDb.user,
          '*password': pgDb.password,
          jdbcProperties: [],
        });
      if (o.id === 'TargetDb')
        Object.assign(o, { connectionString: myDb.jdbcUrl, username: myDb.user, '*password': myDb.password });
      if (o.id === 'NewOrders')
        o.selectQuery = String(o.selectQuery).replace('FROM orders', `FROM orders_${suffix}`);
      if (o.id === 'MarkExported') o.script = String(o.script).replace('orders', `orders_${suffix}`);
      if (o.id === 'OrderTotals') {
        o.table = `order_totals_${suffix}`;
        o.createTableSql = String(o.createTableSql).replace('order_totals', `order_totals_${suffix}`);
      }
      if (o.id === 'RecordLoad')
        o.script = String(o.script)
          .replace(/order_totals/g, `order_totals_${suffix}`)
          .replace(/load_log/g, `load_log_${suffix}`);
      if (o.id === 'ExtractFile') o.filePath = path('orders.csv.gz');
      if (o.id === 'TransformedFile') o.filePath = path('orders-eur.csv');
      if (o.id === 'Transform') o.scriptArgument = [path('orders.csv.gz'), path('orders-eur.csv')];
      // The service refuses empty field values; these servers log in without a password.
      if (o['*password'] === '') delete o['*password'];
      if (Array.isArray(o.jdbcProperties) && o.jdbcProperties.length === 0) delete o.jdbcProperties;
      return o;
    }),
  };
}

describe.each(RUNTIMES)('tasklane run on %s with --plugin @tasklane/handlers-sql', (runtime) => {
  it(
    'runs the example pipeline to FINISHED: SqlActivity and CopyActivity on PostgreSQL and MariaDB',
    async () => {
      const group = `sql-${runtime}`;
      await pgDb.query(
        `CREATE TABLE orders_${runtime} (id INT PRIMARY KEY, customer TEXT, amount_cents INT, exported BOOLEAN NOT NULL DEFAULT FALSE)`,
      );
      await pgDb.query(
        `INSERT INTO orders_${runtime} (id, customer, amount_cents) SELECT g, 'customer ' || g, g * 101 FROM generate_series(1, 300) g`,
      );
      const runner = startRunner(runtime, emulator, group);
      runners.push(runner);
      const pipelineId = await activatePipeline(emulator, exampleFor(group, runtime));
      const done = await waitForComponents(emulator, pipelineId, [
        'Extract',
        'MarkExported',
        'Transform',
        'TransformedReady',
        'Load',
        'RecordLoad',
      ]);
      expect(done, runner.output().slice(-3000)).toEqual({
        Extract: { status: 'FINISHED' },
        MarkExported: { status: 'FINISHED' },
        Transform: { status: 'FINISHED' },
        TransformedReady: { status: 'FINISHED' },
        Load: { status: 'FINISHED' },
        RecordLoad: { status: 'FINISHED' },
      });
      expect(
        await myDb.query(
          `SELECT id, customer, amount_eur FROM order_totals_${runtime} WHERE id IN (1, 300) ORDER BY id`,
        ),
      ).toEqual([
        { id: 1, customer: 'CUSTOMER 1', amount_eur: '1.01' },
        { id: 300, customer: 'CUSTOMER 300', amount_eur: '303.00' },
      ]);
      expect(await myDb.query(`SELECT source, row_count FROM load_log_${runtime}`)).toEqual([
        { source: 'orders', row_count: 300 },
      ]);
      expect(await pgDb.query(`SELECT count(*)::int AS n FROM orders_${runtime} WHERE exported`)).toEqual([
        { n: 300 },
      ]);
      expect(runner.output()).toContain('tasklane runner started');
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'copies PostgreSQL → S3 → MariaDB through the emulator’s S3, guarded by Exists on the object',
    async () => {
      const group = `sql-s3-${runtime}`;
      await pgDb.query(
        `CREATE TABLE lake_src_${runtime} AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 2000) g`,
      );
      await myDb.query(`CREATE TABLE lake_dst_${runtime} (id INT PRIMARY KEY, h CHAR(32))`);
      const runner = startRunner(runtime, emulator, group, emulatorEnv(emulator));
      runners.push(runner);
      const key = `${runtime}/export.csv.gz`;
      const pipelineId = await activatePipeline(emulator, {
        objects: [
          { id: 'Default', scheduleType: 'ondemand', workerGroup: group, maximumRetries: '0' },
          {
            id: 'Pg',
            type: 'JdbcDatabase',
            connectionString: pgDb.jdbcUrl,
            username: pgDb.user,
            jdbcDriverClass: 'org.postgresql.Driver',
          },
          {
            id: 'My',
            type: 'JdbcDatabase',
            connectionString: myDb.jdbcUrl,
            username: myDb.user,
            jdbcDriverClass: 'org.mariadb.jdbc.Driver',
          },
          { id: 'Source', type: 'SqlDataNode', database: { ref: 'Pg' }, table: `lake_src_${runtime}` },
          { id: 'Lake', type: 'S3DataNode', filePath: `s3://lake/${key}`, compression: 'gzip' },
          { id: 'Target', type: 'SqlDataNode', database: { ref: 'My' }, table: `lake_dst_${runtime}` },
          { id: 'InLake', type: 'Exists', node: { ref: 'Lake' } },
          {
            id: 'Export',
            type: 'CopyActivity',
            parent: { ref: 'Default' },
            input: { ref: 'Source' },
            output: { ref: 'Lake' },
          },
          {
            id: 'Import',
            type: 'CopyActivity',
            parent: { ref: 'Default' },
            dependsOn: { ref: 'Export' },
            precondition: { ref: 'InLake' },
            input: { ref: 'Lake' },
            output: { ref: 'Target' },
          },
        ],
      });
      const done = await waitForComponents(emulator, pipelineId, ['Export', 'InLake', 'Import']);
      expect(done, runner.output().slice(-3000)).toEqual({
        Export: { status: 'FINISHED' },
        InLake: { status: 'FINISHED' },
        Import: { status: 'FINISHED' },
      });
      expect(gunzipSync(emulator.s3!.getObject('lake', key)!).toString('utf8').split('\n')[0]).toMatch(
        /^1,[0-9a-f]{32}$/,
      );
      expect(await myDb.query(`SELECT COUNT(*) AS n FROM lake_dst_${runtime}`)).toEqual([{ n: 2000 }]);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'ends each bad input FAILED with a message naming the cause',
    async () => {
      const group = `sql-bad-${runtime}`;
      const user = `tl_e2e_${runtime}_${process.pid}`;
      users.push(user);
      await myDb.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-password'`);
      const csv = join(dir, `malformed-${runtime}.csv`);
      writeFileSync(csv, '1,ok\n2,"unterminated\n');
      await myDb.query(`CREATE TABLE malformed_${runtime} (id INT, v VARCHAR(20))`);
      const db = (id: string, fields: Record<string, string>) => ({
        id,
        type: 'JdbcDatabase',
        jdbcDriverClass: 'org.postgresql.Driver',
        username: 'postgres',
        ...fields,
      });
      const sql = (id: string, database: string, script: string) => ({
        id,
        type: 'SqlActivity',
        parent: { ref: 'Default' },
        database: { ref: database },
        script,
      });
      const runner = startRunner(runtime, emulator, group);
      runners.push(runner);
      const pipelineId = await activatePipeline(emulator, {
        objects: [
          { id: 'Default', scheduleType: 'ondemand', workerGroup: group, maximumRetries: '0' },
          db('Unreachable', { connectionString: 'jdbc:postgresql://127.0.0.1:1/nowhere' }),
          db('Pg', { connectionString: pgDb.jdbcUrl, username: pgDb.user }),
          db('NoDriver', { connectionString: pgDb.jdbcUrl, jdbcDriverClass: 'com.example.NoSuchDriver' }),
          {
            id: 'WrongPassword',
            type: 'JdbcDatabase',
            connectionString: myDb.jdbcUrl,
            jdbcDriverClass: 'org.mariadb.jdbc.Driver',
            username: user,
            '*password': 'wrong-password',
          },
          db('My', {
            connectionString: myDb.jdbcUrl,
            jdbcDriverClass: 'org.mariadb.jdbc.Driver',
            username: myDb.user,
          }),
          sql('UnreachableDb', 'Unreachable', 'SELECT 1'),
          sql('BadPassword', 'WrongPassword', 'SELECT 1'),
          sql('SyntaxError', 'Pg', 'SELECT 1; SELEC oops'),
          sql('UnknownDriver', 'NoDriver', 'SELECT 1'),
          { id: 'BadCsv', type: 'S3DataNode', filePath: csv },
          { id: 'Table', type: 'SqlDataNode', database: { ref: 'My' }, table: `malformed_${runtime}` },
          {
            id: 'MalformedCsv',
            type: 'CopyActivity',
            parent: { ref: 'Default' },
            input: { ref: 'BadCsv' },
            output: { ref: 'Table' },
          },
        ],
      });
      const done = await waitForComponents(emulator, pipelineId, [
        'UnreachableDb',
        'BadPassword',
        'SyntaxError',
        'UnknownDriver',
        'MalformedCsv',
      ]);
      expect(done, runner.output().slice(-3000)).toMatchObject({
        UnreachableDb: {
          status: 'FAILED',
          errorId: 'SqlConnectFailed',
          errorMessage: expect.stringMatching(
            /could not connect to JdbcDatabase "Unreachable".*ECONNREFUSED/,
          ),
        },
        BadPassword: {
          status: 'FAILED',
          errorId: 'SqlConnectFailed',
          errorMessage: expect.stringMatching(/Access denied for user/),
        },
        SyntaxError: {
          status: 'FAILED',
          errorId: 'SqlQueryFailed',
          errorMessage: expect.stringMatching(/statement 2 of 2.*syntax error/),
        },
        UnknownDriver: {
          status: 'FAILED',
          errorId: 'SqlUnknownDriver',
          errorMessage: expect.stringContaining('com.example.NoSuchDriver'),
        },
        MalformedCsv: {
          status: 'FAILED',
          errorId: 'CopyMalformedRow',
          errorMessage: expect.stringContaining(`${csv}, line 2: unterminated quoted field`),
        },
      });
      expect(JSON.stringify(done)).not.toContain('wrong-password');
      expect(runner.output()).not.toContain('wrong-password');
      expect(await myDb.query(`SELECT * FROM malformed_${runtime}`)).toEqual([]);
    },
    E2E_TIMEOUT_MS,
  );
});
