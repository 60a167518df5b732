/**
 * Real PostgreSQL and MariaDB for tests: each call creates a database with a unique name on the server
 * named by TASKLANE_TEST_PG_URL / TASKLANE_TEST_MYSQL_URL (default: the machine's local servers) and
 * `drop()` removes it.
 */
import { definitionObjectToWire, type WireObject } from '@tasklane/core';
import mysql from 'mysql2/promise';
import pg from 'pg';

const PG_URL = process.env.TASKLANE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env.TASKLANE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

export type Kind = 'postgres' | 'mysql';

export interface TestDatabase {
  readonly kind: Kind;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** `jdbc:postgresql://…/name` or `jdbc:mysql://…/name`. */
  readonly jdbcUrl: string;
  readonly driverClass: string;
  /** Runs SQL in the test database (outside the handler), rows as objects. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** A `JdbcDatabase` pipeline object for this database, with extra fields on top. */
  object(id?: string, extra?: Record<string, string | string[]>): WireObject;
  drop(): Promise<void>;
}

let seq = 0;
const uniqueName = () => `tl_sql_${process.pid}_${Date.now().toString(36)}_${++seq}`;

export async function createDatabase(kind: Kind): Promise<TestDatabase> {
  return kind === 'postgres' ? createPg() : createMySql();
}

function base(
  kind: Kind,
  name: string,
  url: URL,
  query: TestDatabase['query'],
  drop: () => Promise<void>,
): TestDatabase {
  const scheme = kind === 'postgres' ? 'postgresql' : 'mysql';
  const port = Number(url.port || (kind === 'postgres' ? 5432 : 3306));
  const db: TestDatabase = {
    kind,
    name,
    host: url.hostname,
    port,
    user: decodeURIComponent(url.username || (kind === 'postgres' ? 'postgres' : 'root')),
    password: decodeURIComponent(url.password),
    jdbcUrl: `jdbc:${scheme}://${url.hostname}:${port}/${name}`,
    driverClass: kind === 'postgres' ? 'org.postgresql.Driver' : 'org.mariadb.jdbc.Driver',
    query,
    object(id = 'MyDatabase', extra = {}) {
      return definitionObjectToWire(
        {
          id,
          type: 'JdbcDatabase',
          connectionString: db.jdbcUrl,
          jdbcDriverClass: db.driverClass,
          username: db.user,
          '*password': db.password,
          ...extra,
        },
        0,
      );
    },
    drop,
  };
  return db;
}

async function createPg(): Promise<TestDatabase> {
  const name = uniqueName();
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  const dbUrl = new URL(PG_URL);
  dbUrl.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: dbUrl.href });
  await client.connect();
  return base(
    'postgres',
    name,
    url,
    async (sql, params = []) => (await client.query(sql, params)).rows,
    async () => {
      await client.end();
      const again = new pg.Client({ connectionString: PG_URL });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  );
}

async function createMySql(): Promise<TestDatabase> {
  const name = uniqueName();
  const url = new URL(MYSQL_URL);
  const options = {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
  };
  const admin = await mysql.createConnection(options);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const conn = await mysql.createConnection({ ...options, database: name, dateStrings: true });
  return base(
    'mysql',
    name,
    url,
    async (sql, params = []) => {
      const [rows] = await conn.query(sql, params);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    async () => {
      await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      await conn.end();
    },
  );
}
