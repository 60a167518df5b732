import { Cluster, type ClusterOptions, type Redis, type RedisOptions } from 'ioredis';
import { RedisUrlError } from './errors.ts';

const REDIS_PORT = 6379;

/** True for `redis+cluster://` and `rediss+cluster://` URLs. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url);
}

/** The seed nodes and per-node options of a cluster URL. */
export interface ClusterUrl {
  readonly nodes: Array<{ host: string; port: number }>;
  readonly redisOptions: RedisOptions;
}

function decode(url: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new RedisUrlError(url, 'user name or password is not valid percent-encoding');
  }
}

/**
 * Reads `redis+cluster://[user[:password]@]host[:port][,host[:port]…]`; `rediss+cluster://` is the same
 * over TLS. The hosts are seeds: the client learns the rest of the cluster from them.
 */
export function parseClusterUrl(url: string): ClusterUrl {
  const m = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/?$/i.exec(url);
  if (!m) throw new RedisUrlError(url, 'a cluster URL needs at least one host[:port] and nothing after them');
  const [, scheme, user, password, hosts] = m;
  const nodes = hosts!.split(',').map((raw) => {
    const spec = raw.trim();
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(spec);
    if (!hp) throw new RedisUrlError(url, `cannot read host and port from ${JSON.stringify(spec)}`);
    const port = hp[2] === undefined ? REDIS_PORT : Number(hp[2]);
    if (!(port > 0 && port < 65536))
      throw new RedisUrlError(url, `port out of range in ${JSON.stringify(spec)}`);
    return { host: hp[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  });
  const redisOptions: RedisOptions = {};
  const username = decode(url, user);
  const pass = decode(url, password);
  if (username) redisOptions.username = username;
  if (pass) redisOptions.password = pass;
  if (scheme!.toLowerCase() === 'rediss') redisOptions.tls = {};
  return { nodes, redisOptions };
}

/** The seed nodes and the cluster-wide and per-node options for a cluster URL and one client's options. */
export function clusterSettings(
  url: string,
  options: RedisOptions = {},
): { nodes: ClusterUrl['nodes']; clusterOptions: ClusterOptions } {
  const { nodes, redisOptions } = parseClusterUrl(url);
  const { enableOfflineQueue, lazyConnect, retryStrategy, host: _h, port: _p, ...perNode } = options;
  void _h;
  void _p;
  const tls = redisOptions.tls || perNode.tls ? { tls: { ...redisOptions.tls, ...perNode.tls } } : {};
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...redisOptions, ...perNode, ...tls },
    slotsRefreshTimeout: Math.max(1000, Number(perNode.commandTimeout ?? 0)),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
  };
  return { nodes, clusterOptions };
}

/** Behind TLS the nodes announce IPs the certificate does not name: keep the names that were given. */
export const keepNodeNames: ClusterOptions['dnsLookup'] = (address, callback) => callback(null, address);

/**
 * Opens an ioredis `Cluster` for a cluster URL and the options the coordinator passes for one Redis
 * client: client-wide ones (offline queue, lazy connect, reconnect strategy) go to the cluster, the rest
 * to every node connection. It is used through the Redis client interface (the commands, scripts and
 * events the coordinator needs are the same), and `duplicate()` opens another cluster client, which is
 * what a blocking BLPOP needs.
 */
export function connectCluster(url: string, options: RedisOptions = {}): Redis {
  const { nodes, clusterOptions } = clusterSettings(url, options);
  const cluster = new Cluster(nodes, {
    ...clusterOptions,
    ...(clusterOptions.redisOptions?.tls ? { dnsLookup: keepNodeNames } : {}),
  });
  const client = cluster as unknown as Redis;
  client.duplicate = (override: RedisOptions = {}) => connectCluster(url, { ...options, ...override });
  return client;
}
