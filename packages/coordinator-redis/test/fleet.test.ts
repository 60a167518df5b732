/**
 * Several runner processes (plain node on the built packages) share one worker group through Redis,
 * against the emulator, which counts concurrent in-flight polls per group.
 * Needs `pnpm exec tsc -p tsconfig.build.json` in packages/core and here first (nx `test` depends on build).
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFleetStatus } from '../src/index.ts';
import { fleetRunnerStarted, requireBuilt, spawnFleetRunner } from './fleet-process.ts';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: TestRedis;
let emulator: Emulator | undefined;
const procs: GroupProcess[] = [];

interface Fleet {
  readonly procs: GroupProcess[];
  readonly ids: string[];
}

async function startFleet(count: number, env: Record<string, string>): Promise<Fleet> {
  const list = Array.from({ length: count }, (_, i) => spawnFleetRunner(`runner-${i}`, env));
  procs.push(...list);
  const ids = await Promise.all(list.map(fleetRunnerStarted));
  return { procs: list, ids };
}

function enqueue(wg: string, count: number): string[] {
  return Array.from(
    { length: count },
    () => emulator!.control.enqueueTask({ workerGroup: wg, type: 'NoopActivity' }).taskId,
  );
}

async function allTerminal(ids: string[], timeoutMs: number): Promise<void> {
  await emulator!.control.waitFor(
    (o) => ids.every((id) => o.tasks[id]?.terminalStatus !== undefined),
    timeoutMs,
  );
}

beforeAll(async () => {
  redis = await startTestRedis({ forceOwned: true });
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop(5000)));
  await emulator?.close();
  emulator = undefined;
});
afterAll(async () => {
  await redis?.dispose();
});

// The runner processes run the built packages; nx builds them before `test`. A missing build is a
// failure, never a silent skip.
describe('fleet of runner processes on one worker group', () => {
  beforeAll(requireBuilt);

  it('keeps exactly one poll in flight over hundreds of tasks and spreads the work', async () => {
    emulator = await startEmulator({ port: 0, longPollMs: 2000 });
    const wg = 'wg-spread';
    const fleet = await startFleet(3, {
      ENDPOINT: emulator.endpoint,
      REDIS_URL: redis.url,
      WG: wg,
      KEY_PREFIX: 'fleet1:',
    });
    const ids = enqueue(wg, 400);
    await allTerminal(ids, 60_000);
    const o = emulator.control.observations();
    expect(ids.every((id) => o.tasks[id]!.terminalStatus === 'FINISHED')).toBe(true);
    expect(o.groups[wg]!.maxInFlightPolls).toBe(1);
    const perHost = new Map<string, number>();
    for (const id of ids) perHost.set(o.tasks[id]!.hostname!, (perHost.get(o.tasks[id]!.hostname!) ?? 0) + 1);
    expect(perHost.size).toBeGreaterThanOrEqual(2);
    const status = await readFleetStatus(redis.url, { keyPrefix: 'fleet1:' });
    expect(status.instances.map((i) => i.instanceId).sort()).toEqual([...fleet.ids].sort());
    for (const p of fleet.procs) expect(await p.stop(10_000)).toBe(0);
    for (const p of fleet.procs) expect(p.output()).not.toMatch(/lease-lost|"crash"/);
    console.log(`fleet spread: ${JSON.stringify(Object.fromEntries(perHost))}, polls ${o.groups[wg]!.polls}`);
  }, 90_000);

  it('fails over within lease + 1 s after kill -9 of the lease holder', async () => {
    emulator = await startEmulator({ port: 0, longPollMs: 10_000 });
    const wg = 'wg-kill';
    const leaseMs = 2000;
    const fleet = await startFleet(3, {
      ENDPOINT: emulator.endpoint,
      REDIS_URL: redis.url,
      WG: wg,
      KEY_PREFIX: 'fleet2:',
      LEASE_MS: String(leaseMs),
    });
    // Nobody has work: the holder sits in a long poll, the others wait for its lease.
    await emulator.control.waitFor((o) => (o.groups[wg]?.inFlightPolls ?? 0) === 1, 10_000);
    await delay(700);
    const status = await readFleetStatus(redis.url, { keyPrefix: 'fleet2:', groups: [wg] });
    const holderId = status.groups.find((g) => g.group === wg)!.holder!.instanceId;
    expect(status.groups.find((g) => g.group === wg)!.waiters).toBe(2);
    const holder = fleet.procs[fleet.ids.indexOf(holderId)]!;
    const polls = emulator.control.observations().groups[wg]!.polls;
    const killedAt = Date.now();
    holder.signal('SIGKILL');
    await emulator.control.waitFor((o) => o.groups[wg]!.polls > polls, leaseMs + 5000);
    const failoverMs = Date.now() - killedAt;
    console.log(`failover after kill -9: ${failoverMs} ms (lease ${leaseMs} ms)`);
    expect(failoverMs).toBeLessThanOrEqual(leaseMs + 1000);
    // The survivors carry on.
    const ids = enqueue(wg, 30);
    await allTerminal(ids, 30_000);
    expect(emulator.control.observations().groups[wg]!.maxInFlightPolls).toBe(1);
  }, 90_000);

  it('survives a Redis restart mid-run: no overlapping polls, no lost task, no crash', async () => {
    emulator = await startEmulator({ port: 0, longPollMs: 1000 });
    const wg = 'wg-outage';
    const fleet = await startFleet(3, {
      ENDPOINT: emulator.endpoint,
      REDIS_URL: redis.url,
      WG: wg,
      KEY_PREFIX: 'fleet3:',
      LEASE_MS: '2000',
      COMMAND_TIMEOUT_MS: '500',
    });
    const ids: string[] = [];
    const trickle = (async () => {
      for (let i = 0; i < 40; i++) {
        ids.push(...enqueue(wg, 8));
        await delay(100);
      }
    })();
    await delay(1000);
    await redis.stop();
    const downAt = Date.now();
    const handedOut = () =>
      Object.values(emulator!.control.observations().tasks).filter((t) => t.handedOutAt !== undefined).length;
    await delay(300); // let polls that were in flight when Redis went away answer
    const before = handedOut();
    await delay(1200);
    const during = handedOut() - before;
    await redis.start();
    const upAt = Date.now();
    await trickle;
    await allTerminal(ids, 60_000);
    const o = emulator.control.observations();
    expect(ids.every((id) => o.tasks[id]!.terminalStatus === 'FINISHED')).toBe(true);
    expect(o.groups[wg]!.maxInFlightPolls).toBe(1);
    expect(during).toBe(0); // fail closed: no coordinated polls while Redis was down
    for (const p of fleet.procs) expect(p.child.exitCode).toBeNull();
    for (const p of fleet.procs) expect(p.output()).toMatch(/"ready":false/);
    for (const p of fleet.procs) expect(await p.stop(10_000)).toBe(0);
    console.log(
      `redis down ${upAt - downAt} ms; ${ids.length} tasks all FINISHED; max in-flight polls ${o.groups[wg]!.maxInFlightPolls}`,
    );
  }, 120_000);
});
