// Lease renewal off the main thread (node:worker_threads; Node, Bun and Deno), on a single server or a
// Redis Cluster. The coordinator's main
// thread may be blocked by a CPU-bound handler for longer than a lease while its poll is still open;
// this thread keeps renewing the leases the main thread holds, on its own Redis connection, for at most
// `capMs` after the main thread last showed signs of life, so a thread that hangs for good cannot hold a
// group forever. Plain JavaScript shipped as is: the same file runs from src/ and dist/.
//
// The main thread publishes what it holds in shared memory, so a poll costs no message to this thread:
// slot i of `held` is the sequence number of the owner token `${token}:${seq}` holding group i's lease
// (0: none), and `alive[0]` is when the main thread last ran its renewal tick (seconds).
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Cluster, Redis } from 'ioredis';

const { redisOptions, clusterNodes, token, shared, leaseMs, renewEveryMs, capMs, commandTimeoutMs } =
  workerData;
const held = new Int32Array(shared, 0, (shared.byteLength >> 2) - 1);
const alive = new Int32Array(shared, shared.byteLength - 4, 1);
const lua = readFileSync(new URL('../lua/renew-1.lua', import.meta.url), 'utf8');
const nodeOptions = {
  ...redisOptions,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: commandTimeoutMs,
  connectionName: 'tasklane-renew',
};
const backoff = (times) => Math.min(1000, 50 * 2 ** Math.min(times, 5));
// On a cluster the renew script's one key (hash-tagged by group) routes it to the master that holds the
// lease; during a failover it follows the redirect like the main thread's client does.
const redis = clusterNodes
  ? new Cluster(clusterNodes, {
      redisOptions: nodeOptions,
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      slotsRefreshTimeout: Math.max(1000, commandTimeoutMs),
      // Behind TLS the nodes announce IPs their certificates do not name: keep the names given.
      ...(redisOptions.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    })
  : new Redis({ ...nodeOptions, enableOfflineQueue: false, retryStrategy: backoff });
redis.defineCommand('tlRenew', { numberOfKeys: 1, lua });
// Failures are reported per renewal, where the main thread logs them with their group.
redis.on('error', () => {});
// Leases granted while this thread loaded have waited for it: renew them at once, not a period later.
redis.on('ready', () => {
  parentPort.postMessage({ t: 'ready' });
  renewAll();
});

/** slot → lease key, sent once per group */
const keys = [];
const renewing = new Set();

parentPort.on('message', (m) => {
  if (m.t === 'slot') keys[m.slot] = m.key;
  else if (m.t === 'close') {
    clearInterval(timer);
    redis.disconnect();
  }
});

function renewAll() {
  if (Date.now() / 1000 - Atomics.load(alive, 0) > capMs / 1000) return;
  for (let slot = 0; slot < keys.length; slot++) {
    const seq = Atomics.load(held, slot);
    if (seq === 0 || renewing.has(slot)) continue;
    const owner = `${token}:${seq}`;
    renewing.add(slot);
    const sentAt = Date.now();
    redis.tlRenew(keys[slot], owner, leaseMs).then(
      (ok) => {
        renewing.delete(slot);
        parentPort.postMessage(ok === 1 ? { t: 'renewed', owner, sentAt } : { t: 'lost', owner });
      },
      (error) => {
        renewing.delete(slot);
        parentPort.postMessage({
          t: 'error',
          owner,
          message: String(error?.message ?? error),
          at: Date.now(),
        });
      },
    );
  }
}
const timer = setInterval(renewAll, renewEveryMs);
