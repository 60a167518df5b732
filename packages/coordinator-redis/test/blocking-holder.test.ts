/**
 * A handler that blocks the lease holder's event loop must not let its poll lease expire while its poll
 * is still open (issue: with a 20 s blocking loop the emulator saw 2 polls in flight for one group).
 * Real runner processes (built packages), the emulator counting in-flight polls, a private Redis.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fleetRunnerStarted, requireBuilt, spawnFleetRunner } from './fleet-process.ts';

let redis: TestRedis;
let emulator: Emulator | undefined;
const procs: GroupProcess[] = [];

async function runner(name: string, env: Record<string, string>): Promise<GroupProcess> {
  const p = spawnFleetRunner(name, env);
  procs.push(p);
  await fleetRunnerStarted(p);
  return p;
}

beforeAll(async () => {
  requireBuilt();
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

describe('lease holder with a CPU-blocking handler', () => {
  it('keeps at most one poll in flight while the holder blocks its thread for longer than the lease', async () => {
    const longPollMs = 8000;
    const blockMs = 12_000;
    emulator = await startEmulator({ port: 0, longPollMs });
    const wg = 'wg-block';
    const env = {
      ENDPOINT: emulator.endpoint,
      REDIS_URL: redis.url,
      WG: wg,
      KEY_PREFIX: 'block:',
      LEASE_MS: '2000',
      BLOCK_MS: String(blockMs),
      CONCURRENCY: '2',
      // Longer than the default: the configuration of a run that once saw two polls in flight here.
      TURN_MS: '200',
      TRACE: '1',
    };
    const holder = await runner('holder', env);
    await emulator.control.waitFor((o) => (o.groups[wg]?.inFlightPolls ?? 0) === 1, 10_000);
    // The holder gets the task, keeps the lease (nobody else waits yet) and opens its next long poll;
    // then the handler blocks its event loop for six leases.
    const { taskId } = emulator.control.enqueueTask({ workerGroup: wg, type: 'BlockActivity' });
    await emulator.control.waitFor((o) => o.tasks[taskId]?.firstAckAt !== undefined, 10_000);
    await emulator.control.waitFor((o) => (o.groups[wg]?.inFlightPolls ?? 0) === 1, 5000);
    // A second instance arrives and waits for the lease while the holder cannot renew it from its thread.
    const other = await runner('other', env);
    await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, blockMs + 20_000);
    const after = emulator.control.enqueueTask({ workerGroup: wg, type: 'NoopActivity' }).taskId;
    await emulator.control.waitFor((o) => o.tasks[after]?.terminalStatus === 'FINISHED', 30_000);
    const o = emulator.control.observations();
    console.log(
      `blocking holder: ${o.groups[wg]!.polls} polls, max in flight ${o.groups[wg]!.maxInFlightPolls}`,
    );
    expect(o.tasks[taskId]!.terminalStatus).toBe('FINISHED');
    const trace = `holder:\n${holder.output()}\nother:\n${other.output()}`;
    expect(o.groups[wg]!.maxInFlightPolls, trace).toBe(1);
    for (const p of [holder, other]) expect(p.output()).not.toMatch(/"crash"/);
  }, 90_000);
});
