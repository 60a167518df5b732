// Lease renewal off the main thread (node:worker_threads; Node, Bun and Deno). The coordinator's main
// thread may be blocked by a CPU-bound handler for longer than a lease while its poll is still open;
// this thread keeps renewing the leases it was told about on its own Redis connection, for at most
// `capMs` after the main thread last showed signs of life, so a thread that hangs for good cannot hold
// a group forever. Plain JavaScript shipped as is: the same file runs from src/ and dist/.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';

const { redisOptions, leaseMs, renewEveryMs, capMs, commandTimeoutMs } = workerData;
const lua = readFileSync(new URL('../lua/renew-1.lua', import.meta.url), 'utf8');
const redis = new Redis({
  ...redisOptions,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: commandTimeoutMs,
  retryStrategy: (times) => Math.min(1000, 50 * 2 ** Math.min(times, 5)),
  connectionName: 'tasklane-renew',
});
redis.defineCommand('tlRenew', { numberOfKeys: 1, lua });
// Failures are reported per renewal, where the main thread logs them with their group.
redis.on('error', () => {});
redis.on('ready', () => parentPort.postMessage({ t: 'ready' }));

/** owner token → { key, touchedAt, renewing } */
const holds = new Map();
let mainSeenAt = Date.now();

parentPort.on('message', (m) => {
  mainSeenAt = Date.now();
  if (m.t === 'hold') holds.set(m.owner, { key: m.key, renewing: false });
  else if (m.t === 'drop') holds.delete(m.owner);
  else if (m.t === 'close') {
    clearInterval(timer);
    holds.clear();
    redis.disconnect();
  }
});

const timer = setInterval(() => {
  if (Date.now() - mainSeenAt > capMs) return;
  for (const [owner, h] of holds) {
    if (h.renewing) continue;
    h.renewing = true;
    const sentAt = Date.now();
    redis.tlRenew(h.key, owner, leaseMs).then(
      (ok) => {
        h.renewing = false;
        if (ok === 1) parentPort.postMessage({ t: 'renewed', owner, sentAt });
        else {
          holds.delete(owner);
          parentPort.postMessage({ t: 'lost', owner });
        }
      },
      (error) => {
        h.renewing = false;
        parentPort.postMessage({ t: 'error', owner, message: String(error?.message ?? error) });
      },
    );
  }
}, renewEveryMs);
