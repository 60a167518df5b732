import { SqlErrorId, sqlFailure } from '../errors.ts';
import { DEFAULT_PORTS, JDBC_SCHEMES, type Dialect } from './spec.ts';

/** A parsed `jdbc:<scheme>://host[:port][/database][?k=v&...]`. */
export interface JdbcUrl {
  readonly scheme: string;
  readonly dialect: Dialect;
  readonly host: string;
  readonly port: number;
  readonly database: string | undefined;
  /** Query parameters (`user`, `password`, `ssl`, `sslmode`...). */
  readonly properties: ReadonlyMap<string, string>;
}

/**
 * Parses a JDBC connection string. The message of a bad one never repeats it whole, since the query part
 * may hold a password.
 */
export function parseJdbcUrl(text: string, owner: string): JdbcUrl {
  const match = /^jdbc:([a-z0-9]+):\/\/([^/?;]*)(?:\/([^?;]*))?(?:[?;](.*))?$/i.exec(text.trim());
  if (!match) {
    throw sqlFailure(
      SqlErrorId.InvalidSpec,
      `${owner}: connectionString must look like jdbc:postgresql://host:port/database, got "${redacted(text)}"`,
    );
  }
  const scheme = match[1]!.toLowerCase();
  const dialect = JDBC_SCHEMES[scheme];
  if (!dialect) {
    throw sqlFailure(
      SqlErrorId.UnknownDriver,
      `${owner}: no driver for "jdbc:${scheme}:" (supported: ${Object.keys(JDBC_SCHEMES)
        .map((s) => `jdbc:${s}:`)
        .join(', ')})`,
    );
  }
  const authority = match[2]!;
  // The host list form (host1,host2) is for failover; the first host is used.
  const first = authority.split(',')[0]!;
  const at = first.lastIndexOf('@');
  const hostPort = at >= 0 ? first.slice(at + 1) : first;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  const [host, portText] = bracketed ? [bracketed[1]!, bracketed[2]] : splitHostPort(hostPort);
  if (!host) throw sqlFailure(SqlErrorId.InvalidSpec, `${owner}: connectionString has no host`);
  const port = portText ? Number(portText) : DEFAULT_PORTS[scheme === 'redshift' ? 'redshift' : dialect]!;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw sqlFailure(SqlErrorId.InvalidSpec, `${owner}: connectionString has an invalid port "${portText}"`);
  }
  const properties = new Map<string, string>();
  for (const pair of (match[4] ?? '').split(/[&;]/)) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq >= 0 ? pair.slice(0, eq) : pair);
    properties.set(key, eq >= 0 ? decodeURIComponent(pair.slice(eq + 1)) : '');
  }
  const database = match[3] ? decodeURIComponent(match[3]) : undefined;
  return { scheme, dialect, host, port, database: database || undefined, properties };
}

/** The URL without its query string or `user:password@`, which may hold credentials. */
function redacted(text: string): string {
  return text.split(/[?;]/)[0]!.replace(/\/\/[^/@]*@/, '//');
}

function splitHostPort(text: string): [string, string | undefined] {
  const colon = text.lastIndexOf(':');
  return colon >= 0 ? [text.slice(0, colon), text.slice(colon + 1)] : [text, undefined];
}

/** `jdbcProperties` entries, each `key=value`. */
export function parseProperties(entries: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    out.set(entry.slice(0, eq).trim(), entry.slice(eq + 1).trim());
  }
  return out;
}
