import type { PipelineObject, EnvReader } from '../objects.ts';
import { SqlErrorId, sqlFailure } from '../errors.ts';
import { parseJdbcUrl, parseProperties } from './jdbc-url.ts';
import { lookupRdsInstance, lookupRedshiftCluster } from './lookup.ts';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PORTS,
  DRIVER_CLASSES,
  type ConnectionSpec,
  type Dialect,
} from './spec.ts';
import { tlsFromProperties } from './tls.ts';

/** The password field: Data Pipeline marks secret fields with a leading `*`. */
function password(db: PipelineObject): string | undefined {
  return db.get('*password') ?? db.get('password');
}

function label(db: PipelineObject, dialect: Dialect, host: string, port: number, database?: string): string {
  return `${db.type ?? 'database'} "${db.id}" (${dialect}://${host}:${port}/${database ?? ''})`;
}

function connectTimeout(props: ReadonlyMap<string, string>): number {
  // pgjdbc's connectTimeout and loginTimeout are seconds; MySQL Connector/J's connectTimeout is ms.
  const seconds = props.get('connectTimeout') ?? props.get('loginTimeout');
  const n = seconds === undefined ? NaN : Number(seconds);
  if (!Number.isFinite(n) || n <= 0) return DEFAULT_CONNECT_TIMEOUT_MS;
  return n > 1000 ? n : n * 1000;
}

function dialectOfDriver(db: PipelineObject, fallback: Dialect): Dialect {
  const driverClass = db.get('jdbcDriverClass');
  if (driverClass === undefined || driverClass === '') return fallback;
  const dialect = DRIVER_CLASSES[driverClass.trim()];
  if (!dialect) {
    throw sqlFailure(
      SqlErrorId.UnknownDriver,
      `${db.type ?? 'database'} "${db.id}": unknown jdbcDriverClass "${driverClass}" (supported: ${Object.keys(DRIVER_CLASSES).join(', ')})`,
      { retryable: false },
    );
  }
  if (dialect !== fallback) {
    throw sqlFailure(
      SqlErrorId.UnknownDriver,
      `${db.type ?? 'database'} "${db.id}": jdbcDriverClass "${driverClass}" speaks ${dialect}, but the connection string is for ${fallback}`,
      { retryable: false },
    );
  }
  return dialect;
}

/**
 * Turns a `JdbcDatabase`, `RdsDatabase` or `RedshiftDatabase` object into a {@link ConnectionSpec}.
 * RDS instances and Redshift clusters named by id are looked up through their APIs (standard SDK
 * configuration, so `AWS_ENDPOINT_URL_RDS` / `AWS_ENDPOINT_URL_REDSHIFT` point them elsewhere).
 */
export async function connectionSpec(
  db: PipelineObject,
  env: EnvReader,
  signal?: AbortSignal,
): Promise<ConnectionSpec> {
  const type = db.type ?? 'JdbcDatabase';
  const owner = `${type} "${db.id}"`;
  const props = parseProperties(db.getAll('jdbcProperties'));
  const common = (dialect: Dialect, host: string, port: number, database: string | undefined) => ({
    dialect,
    host,
    port,
    database,
    user: db.get('username'),
    password: password(db),
    tls: tlsFromProperties(dialect, props, owner),
    connectTimeoutMs: connectTimeout(props),
    localInfile: !['allowLoadLocalInfile', 'allowLocalInfile'].some(
      (k) => props.get(k)?.toLowerCase() === 'false',
    ),
    label: label(db, dialect, host, port, database),
  });

  if (type === 'RdsDatabase') {
    const instanceId = db.require('rdsInstanceId');
    const found = await lookupRdsInstance(instanceId, db.get('region'), env, signal);
    return common(
      dialectOfDriver(db, found.dialect),
      found.host,
      found.port,
      db.get('databaseName') ?? found.database,
    );
  }
  if (type === 'RedshiftDatabase' && !db.get('connectionString')) {
    const clusterId = db.get('clusterId');
    if (!clusterId) {
      throw sqlFailure(SqlErrorId.InvalidSpec, `${owner}: one of connectionString or clusterId is required`);
    }
    const found = await lookupRedshiftCluster(clusterId, db.get('region'), env, signal);
    return common(
      dialectOfDriver(db, 'postgres'),
      found.host,
      found.port ?? DEFAULT_PORTS.redshift!,
      db.get('databaseName') ?? found.database,
    );
  }
  if (type !== 'JdbcDatabase' && type !== 'RedshiftDatabase') {
    throw sqlFailure(
      SqlErrorId.InvalidSpec,
      `${owner}: not a database type (JdbcDatabase, RdsDatabase or RedshiftDatabase)`,
    );
  }
  const url = parseJdbcUrl(db.require('connectionString'), owner);
  for (const [k, v] of url.properties) if (!props.has(k)) props.set(k, v);
  const spec = common(
    dialectOfDriver(db, url.dialect),
    url.host,
    url.port,
    db.get('databaseName') ?? url.database,
  );
  return {
    ...spec,
    user: spec.user ?? props.get('user'),
    password: spec.password ?? props.get('password'),
  };
}
