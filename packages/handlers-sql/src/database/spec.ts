/** The wire protocol a database speaks; Redshift speaks PostgreSQL's, MariaDB MySQL's. */
export type Dialect = 'postgres' | 'mysql';

/** TLS for the connection: off, or on with or without verifying the server's certificate. */
export type TlsSetting = false | { rejectUnauthorized: boolean };

/** Everything needed to open a session, whichever database object it came from. */
export interface ConnectionSpec {
  readonly dialect: Dialect;
  readonly host: string;
  readonly port: number;
  readonly database: string | undefined;
  readonly user: string | undefined;
  /** Never logged, never put in a message. */
  readonly password: string | undefined;
  readonly tls: TlsSetting;
  /** Milliseconds to wait for the TCP connection and login. */
  readonly connectTimeoutMs: number;
  /**
   * MySQL: may copies use `LOAD DATA LOCAL INFILE` (default yes; `allowLoadLocalInfile=false` or
   * `allowLocalInfile=false`, the Connector/J and MariaDB driver properties, say no).
   */
  readonly localInfile?: boolean;
  /** `type "id" (dialect://host:port/database)`, safe to log: no credentials. */
  readonly label: string;
}

export const DEFAULT_PORTS: Record<string, number> = { postgres: 5432, mysql: 3306, redshift: 5439 };
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Driver class names the Java runner accepted, and the protocol each one speaks. */
export const DRIVER_CLASSES: Record<string, Dialect> = {
  'org.postgresql.Driver': 'postgres',
  'com.mysql.jdbc.Driver': 'mysql',
  'com.mysql.cj.jdbc.Driver': 'mysql',
  'org.mariadb.jdbc.Driver': 'mysql',
  'com.amazon.redshift.jdbc.Driver': 'postgres',
  'com.amazon.redshift.jdbc41.Driver': 'postgres',
  'com.amazon.redshift.jdbc42.Driver': 'postgres',
};

/** JDBC URL schemes and their protocol. */
export const JDBC_SCHEMES: Record<string, Dialect> = {
  postgresql: 'postgres',
  redshift: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
};

/** Database engines as the RDS API names them. */
export const RDS_ENGINES: Record<string, Dialect> = {
  postgres: 'postgres',
  'aurora-postgresql': 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  aurora: 'mysql',
  'aurora-mysql': 'mysql',
};
