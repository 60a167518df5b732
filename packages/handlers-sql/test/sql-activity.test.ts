import { definitionObjectToWire } from '@tasklane/core';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlActivity } from '../src/index.ts';
import { createDatabase, type Kind, type TestDatabase } from './databases.ts';

const env = new MockHandlerEnvironment();

describe.each<Kind>(['postgres', 'mysql'])('SqlActivity on %s', (kind) => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createDatabase(kind);
    dir = mkdtempSync(join(tmpdir(), 'tl-sql-'));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const task = (
    fields: Record<string, string | string[]>,
    dbFields: Record<string, string | string[]> = {},
  ) =>
    fakeTask(
      { type: 'SqlActivity', database: { ref: 'MyDatabase' }, ...fields },
      { objects: { MyDatabase: db.object('MyDatabase', dbFields) } },
    );

  it('runs several statements and binds scriptArgument to ? in order across them', async () => {
    const hostile = "x'); DROP TABLE people; --";
    const { outcome, progress } = await env.run(
      SqlActivity,
      task({
        script: [
          'CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(100)); -- a comment; with a semicolon',
          "INSERT INTO people VALUES (?, ?), (2, 'semi;colon ?');",
          "INSERT INTO people VALUES (3, 'three'); UPDATE people SET name = ? WHERE id = ?",
        ].join('\n'),
        scriptArgument: ['1', hostile, 'renamed; ?', '3'],
      }),
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(progress.at(-1)).toEqual({ percentComplete: 100 });
    const rows = await db.query('SELECT id, name FROM people ORDER BY id');
    expect(rows.map((r) => [Number(r.id), r.name])).toEqual([
      [1, hostile],
      [2, 'semi;colon ?'],
      [3, 'renamed; ?'],
    ]);
  });

  it('reads the script from a local scriptUri', async () => {
    const path = join(dir, 'script.sql');
    writeFileSync(path, 'CREATE TABLE from_file (n INT);\nINSERT INTO from_file VALUES (?);\n');
    const { outcome } = await env.run(SqlActivity, task({ scriptUri: path, scriptArgument: ['42'] }));
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect((await db.query('SELECT n FROM from_file')).map((r) => Number(r.n))).toEqual([42]);
  });

  it('fails a syntax error naming the statement, its line and the server message', async () => {
    const { outcome } = await env.run(SqlActivity, task({ script: 'SELECT 1;\n\nSELEC oops FROM nowhere;' }));
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlQueryFailed' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(
      /statement 2 of 2 \(script line 3\).*syntax/i,
    );
  });

  it('fails when the arguments do not match the placeholders', async () => {
    const { outcome } = await env.run(SqlActivity, task({ script: 'SELECT ?, ?', scriptArgument: ['1'] }));
    expect(outcome).toMatchObject({
      status: 'FAILED',
      errorId: 'SqlArgumentMismatch',
      errorMessage: expect.stringContaining('2 ? placeholder(s) but 1 scriptArgument(s)'),
    });
  });

  it('warns that queue is ignored and still runs', async () => {
    const { outcome, logs } = await env.run(SqlActivity, task({ script: 'SELECT 1', queue: 'etl' }));
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(logs.some((l) => l.level === 'warn' && /queue/.test(String(l.msg)))).toBe(true);
  });

  it('fails an unknown driver class, naming it', async () => {
    const { outcome } = await env.run(
      SqlActivity,
      task({ script: 'SELECT 1' }, { jdbcDriverClass: 'com.example.NoSuchDriver' }),
    );
    expect(outcome).toMatchObject({
      status: 'FAILED',
      errorId: 'SqlUnknownDriver',
      errorMessage: expect.stringContaining('com.example.NoSuchDriver'),
    });
  });

  it('fails an unreachable database, naming it, without the password', async () => {
    const { outcome } = await env.run(
      SqlActivity,
      task(
        { script: 'SELECT 1' },
        { connectionString: db.jdbcUrl.replace(`:${db.port}/`, ':1/'), '*password': 'hunter2-secret' },
      ),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlConnectFailed' });
    const message = (outcome as { errorMessage: string }).errorMessage;
    expect(message).toMatch(/could not connect to JdbcDatabase "MyDatabase".*ECONNREFUSED/);
    expect(message).not.toContain('hunter2');
  });

  it('asks for TLS when jdbcProperties say ssl=true (these servers have none, so the login fails saying so)', async () => {
    const { outcome } = await env.run(
      SqlActivity,
      task({ script: 'SELECT 1' }, { jdbcProperties: ['ssl=true'] }),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlConnectFailed' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(/ssl|secure/i);
  });

  it('cancels the running statement on the server when the task is cancelled', async () => {
    const sleep = kind === 'postgres' ? 'SELECT pg_sleep(30)' : 'SELECT SLEEP(30)';
    const started = Date.now();
    // The statement after the cancelled one must never run.
    const run = env.run(SqlActivity, task({ script: `${sleep}; CREATE TABLE after_cancel (n INT)` }));
    await waitForQuery(db, kind === 'postgres' ? 'pg_sleep' : 'SLEEP');
    env.cancel();
    const { outcome, abortReason } = await run;
    expect(abortReason).toBe('canceled');
    expect(Date.now() - started).toBeLessThan(20_000);
    // MariaDB ends a killed SLEEP() as a normal result, PostgreSQL as an error: both end SqlAborted.
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlAborted' });
    await expectNoQuery(db, kind === 'postgres' ? 'pg_sleep' : 'SLEEP');
    const tables = await db.query(
      kind === 'postgres'
        ? "SELECT tablename FROM pg_tables WHERE tablename = 'after_cancel'"
        : "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'after_cancel'",
    );
    expect(tables).toEqual([]);
  });

  it('ends a statement that outlives attemptTimeout', async () => {
    const sleep = kind === 'postgres' ? 'SELECT pg_sleep(30)' : 'SELECT SLEEP(30)';
    const started = Date.now();
    const { reported } = await env.run(SqlActivity, task({ script: sleep }), { attemptTimeoutMs: 1500 });
    expect(reported).toMatchObject({ status: 'FAILED', errorId: 'TL_ATTEMPT_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectNoQuery(db, kind === 'postgres' ? 'pg_sleep' : 'SLEEP');
  });
});

describe.each<Kind>(['postgres', 'mysql'])('a %s server that never answers the login', (kind) => {
  it('a cancel during the connection attempt ends the task at once, not after the connect timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const scheme = kind === 'postgres' ? 'postgresql' : 'mariadb';
      const run = env.run(
        SqlActivity,
        fakeTask(
          { type: 'SqlActivity', database: { ref: 'Db' }, script: 'SELECT 1' },
          {
            objects: {
              Db: definitionObjectToWire(
                {
                  id: 'Db',
                  type: 'JdbcDatabase',
                  connectionString: `jdbc:${scheme}://127.0.0.1:${port}/x`,
                  username: 'u',
                },
                0,
              ),
            },
          },
        ),
      );
      while (sockets.size === 0) await new Promise((r) => setTimeout(r, 20));
      const started = Date.now();
      env.cancel();
      const { outcome } = await run;
      expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlAborted' });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

// PostgreSQL here uses trust authentication, which accepts any password, so only MariaDB can refuse one.
it('fails a wrong password on MariaDB naming the login, never the password', async () => {
  const db = await createDatabase('mysql');
  const user = `tl_user_${process.pid}`;
  await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-password'`);
  try {
    const { outcome } = await env.run(
      SqlActivity,
      fakeTask(
        { type: 'SqlActivity', database: { ref: 'Db' }, script: 'SELECT 1' },
        { objects: { Db: db.object('Db', { username: user, '*password': 'wrong-password' }) } },
      ),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlConnectFailed' });
    const message = (outcome as { errorMessage: string }).errorMessage;
    expect(message).toMatch(/Access denied for user/);
    expect(message).not.toContain('wrong-password');
  } finally {
    await db.query(`DROP USER '${user}'@'%'`);
    await db.drop();
  }
});

async function runningQueries(db: TestDatabase, needle: string): Promise<number> {
  const rows =
    db.kind === 'postgres'
      ? await db.query(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
          [`%${needle}(30)%`],
        )
      : await db.query(
          'SELECT count(*) AS n FROM information_schema.processlist WHERE info LIKE ? AND id <> CONNECTION_ID()',
          [`%${needle}(30)%`],
        );
  return Number(rows[0]!.n);
}

async function waitForQuery(db: TestDatabase, needle: string): Promise<void> {
  const until = Date.now() + 15_000;
  while ((await runningQueries(db, needle)) === 0) {
    if (Date.now() > until) throw new Error(`the ${needle} query never started`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectNoQuery(db: TestDatabase, needle: string): Promise<void> {
  const until = Date.now() + 5_000;
  while ((await runningQueries(db, needle)) > 0) {
    if (Date.now() > until) throw new Error(`the ${needle} query is still running on the server`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
