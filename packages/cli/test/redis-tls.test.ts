/**
 * `tasklane run` coordinating through Redis over TLS, as on a managed Redis with in-transit encryption:
 * `rediss://` to a single server and `rediss+cluster://` to a cluster, the server certificate signed by a
 * private CA the runner trusts through NODE_EXTRA_CA_CERTS. Without that CA the runner must refuse the
 * server and poll nothing (fail closed).
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, type GroupProcess } from '@tasklane/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTlsMaterial,
  startTlsCluster,
  startTlsRedis,
  type TlsMaterial,
  type TlsRedis,
} from './redis-tls.ts';
import { startTasklane } from './runner-process.ts';

let tls: TlsMaterial;
let emulator: Emulator;
const servers: TlsRedis[] = [];
const runners: GroupProcess[] = [];

beforeAll(async () => {
  tls = makeTlsMaterial();
  emulator = await startEmulator({ longPollMs: 300 });
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop(5000)));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
  await emulator?.close();
  tls?.dispose();
});

type Runtime = 'node' | 'bun' | 'deno';

/** How each runtime is told to trust an extra CA: Node and Bun read NODE_EXTRA_CA_CERTS, Deno DENO_CERT. */
const trustCa = (runtime: Runtime): NodeJS.ProcessEnv =>
  runtime === 'deno' ? { DENO_CERT: tls.caFile } : { NODE_EXTRA_CA_CERTS: tls.caFile };

async function runOn(group: string, redisUrl: string, env: NodeJS.ProcessEnv, runtime: Runtime = 'node') {
  const port = await freePort();
  const runner = startTasklane(
    runtime,
    [
      'run',
      '--worker-group',
      group,
      '--endpoint',
      emulator.endpoint,
      '--redis-url',
      redisUrl,
      '--http-port',
      String(port),
    ],
    env,
  );
  runners.push(runner);
  return { runner, ops: `http://127.0.0.1:${port}` };
}

/** Runs one shell task through a runner on `redisUrl`; returns its /fleet.json. */
async function finishesThroughRedis(group: string, redisUrl: string, runtime: Runtime) {
  const { runner, ops } = await runOn(group, redisUrl, trustCa(runtime), runtime);
  await runner.waitForOutput(/tasklane runner started/, 30_000);
  const { taskId } = emulator.control.enqueueTask({
    workerGroup: group,
    type: 'ShellCommandActivity',
    fields: { command: 'true' },
  });
  await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 30_000);
  expect(emulator.control.task(taskId)!.terminalStatus).toBe('FINISHED');
  const fleet = (await (await fetch(`${ops}/fleet.json`)).json()) as {
    coordinator: string;
    instances: unknown[];
    groups: Array<{ group: string }>;
  };
  expect(fleet.coordinator).toBe('redis');
  expect(fleet.instances).toHaveLength(1);
  expect(fleet.groups.map((g) => g.group)).toContain(group);
}

describe('Redis over TLS', () => {
  it.each(['node', 'bun', 'deno'] as const)(
    'rediss:// to a single server: the runner on %s coordinates through it',
    async (runtime) => {
      const server = await startTlsRedis(tls);
      servers.push(server);
      await finishesThroughRedis(`tls-single-${runtime}`, `rediss://localhost:${server.port}`, runtime);
      // The lease and registry keys are on the TLS server itself.
      expect((await server.client().keys('tl:*')).length).toBeGreaterThan(0);
    },
    60_000,
  );

  it('rediss+cluster:// to a TLS cluster: the runner coordinates through it', async () => {
    const cluster = await startTlsCluster(tls);
    servers.push(cluster);
    const url = `rediss+cluster://${cluster.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
    await finishesThroughRedis('tls-cluster', url, 'node');
  }, 90_000);

  it.each(['node', 'bun', 'deno'] as const)(
    'refuses a server whose certificate it cannot verify on %s, and polls nothing',
    async (runtime) => {
      const server = await startTlsRedis(tls);
      servers.push(server);
      const group = `tls-untrusted-${runtime}`;
      const { runner, ops } = await runOn(group, `rediss://localhost:${server.port}`, {}, runtime);
      const { taskId } = emulator.control.enqueueTask({
        workerGroup: group,
        type: 'ShellCommandActivity',
        fields: { command: 'true' },
      });
      await runner.waitForOutput(
        /certificate|self[- ]signed|UNABLE_TO_VERIFY|unable to verify|UnknownIssuer/i,
        30_000,
      );
      await new Promise((r) => setTimeout(r, 3000));
      expect(emulator.control.task(taskId)!.handouts).toBe(0);
      expect(emulator.control.observations().groups[group]?.polls ?? 0).toBe(0);
      expect((await fetch(`${ops}/readyz`)).status).toBe(503);
    },
    60_000,
  );
});
