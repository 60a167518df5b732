import { Redis, type RedisOptions } from 'ioredis';
import { clusterSettings, connectCluster, isClusterUrl } from './cluster.ts';
import type { RenewalTarget } from './renewer.ts';
import { RedisUrlError } from './errors.ts';

const SENTINEL_PORT = 26379;
const REDIS_PORT = 6379;

function decode(url: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new RedisUrlError(url, 'user name or password is not valid percent-encoding');
  }
}

function parseDb(url: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw new RedisUrlError(url, `database must be a number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function parseHostPort(url: string, spec: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new RedisUrlError(url, `cannot read host and port from ${JSON.stringify(spec)}`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!(port > 0 && port < 65536))
    throw new RedisUrlError(url, `port out of range in ${JSON.stringify(spec)}`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function sentinelOptions(url: string, tls: boolean): RedisOptions {
  const m =
    /^rediss?\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/([^/?#]+)(?:\/([^/?#]*))?(?:\?([^#]*))?$/i.exec(
      url,
    );
  if (!m) throw new RedisUrlError(url, 'a sentinel URL needs at least one host and the master name');
  const [, user, password, hosts, name, db, query] = m;
  const sentinels = hosts!.split(',').map((spec) => parseHostPort(url, spec.trim(), SENTINEL_PORT));
  const params = new URLSearchParams(query ?? '');
  const options: RedisOptions = { sentinels, name: decode(url, name)! };
  const username = decode(url, user);
  const pass = decode(url, password);
  if (username) options.username = username;
  if (pass) options.password = pass;
  const database = parseDb(url, db);
  if (database !== undefined) options.db = database;
  const sentinelUsername = params.get('sentinelUsername');
  const sentinelPassword = params.get('sentinelPassword');
  if (sentinelUsername) options.sentinelUsername = sentinelUsername;
  if (sentinelPassword) options.sentinelPassword = sentinelPassword;
  const role = params.get('role');
  if (role !== null) {
    if (role !== 'master' && role !== 'slave')
      throw new RedisUrlError(url, `role must be master or slave, got ${JSON.stringify(role)}`);
    options.role = role;
  }
  if (tls) {
    options.tls = {};
    options.enableTLSForSentinelMode = true;
    options.sentinelTLS = {};
  }
  return options;
}

/**
 * Turns a Redis URL into ioredis options. Accepted forms:
 * - `redis://[user[:password]@]host[:port][/db]` — plain TCP; user and password are ACL credentials
 *   (percent-encoded); `redis://:password@host` for the default user.
 * - `rediss://…` — the same over TLS (server name = host).
 * - `redis+sentinel://[user[:password]@]host[:port][,host[:port]…]/masterName[/db][?sentinelUsername=…&sentinelPassword=…&role=master|slave]`
 *   — Sentinel; user/password authenticate against the data nodes, the query parameters against the
 *   sentinels; the sentinel port defaults to 26379. `rediss+sentinel://` uses TLS for both.
 * @throws {RedisUrlError} (code TL_REDIS_URL) for anything else.
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  if (typeof url !== 'string' || url.trim() === '') throw new RedisUrlError(String(url), 'the URL is empty');
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis+sentinel' || scheme === 'rediss+sentinel')
    return sentinelOptions(url, scheme === 'rediss+sentinel');
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new RedisUrlError(
      url,
      scheme ? `unsupported scheme ${JSON.stringify(scheme + '://')}` : 'missing scheme',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(url, 'not a valid URL');
  }
  if (!parsed.hostname) throw new RedisUrlError(url, 'missing host');
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : REDIS_PORT,
  };
  const username = decode(url, parsed.username);
  const password = decode(url, parsed.password);
  if (username) options.username = username;
  if (password) options.password = password;
  const db = parseDb(url, parsed.pathname.replace(/^\//, ''));
  if (db !== undefined) options.db = db;
  if (scheme === 'rediss') options.tls = { servername: options.host! };
  return options;
}

/** The ioredis options for a URL with `options` laid over them (TLS settings are merged). */
export function clientOptions(url: string, options: RedisOptions = {}): RedisOptions {
  const fromUrl = redisOptionsFromUrl(url);
  const tls = fromUrl.tls && options.tls ? { ...fromUrl.tls, ...options.tls } : (options.tls ?? fromUrl.tls);
  return { ...fromUrl, ...options, ...(tls ? { tls } : {}) };
}

/**
 * Where the renewal thread connects for a URL: the same server, or the same cluster's seed nodes with
 * the options of every node connection (the thread sets its own client-wide ones).
 */
export function renewalTarget(url: string, options: RedisOptions = {}): RenewalTarget {
  if (!isClusterUrl(url)) return { redisOptions: clientOptions(url, options) };
  const { nodes, clusterOptions } = clusterSettings(url, options);
  return { redisOptions: clusterOptions.redisOptions ?? {}, clusterNodes: nodes };
}

/**
 * Opens an ioredis client for a Redis URL (see {@link redisOptionsFromUrl} for the forms); `options`
 * override what the URL says (TLS certificates, timeouts, `lazyConnect`, ...). A
 * `redis+cluster://h1:p1,h2:p2` (or `rediss+cluster://`) URL opens an ioredis `Cluster`.
 */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  if (isClusterUrl(url)) return connectCluster(url, options);
  return new Redis(clientOptions(url, options));
}
