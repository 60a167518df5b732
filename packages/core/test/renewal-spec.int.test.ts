import { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { startEmulator } from '@tasklane/emulator';
import { expect, it, onTestFinished } from 'vitest';
import { DataPipelineSource } from '../src/index.ts';

it("describes a lease renewal with the caller's own client: same endpoint, region and credentials", async () => {
  const emulator = await startEmulator({ longPollMs: 200 });
  onTestFinished(() => emulator.close());
  const credentials = () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'token' });
  const client = new DataPipelineClient({
    region: 'eu-west-1',
    endpoint: emulator.endpoint,
    credentials: credentials(),
  });
  const source = new DataPipelineSource({ client });
  emulator.control.enqueueTask({ workerGroup: 'wg-spec', type: 'Any' });
  const received = await source.poll('wg-spec');
  const spec = await received!.renewalSpec!();
  expect(spec).toMatchObject({
    kind: 'datapipeline',
    taskId: received!.toTask().taskId,
    region: 'eu-west-1',
    credentials: credentials(),
  });
  expect(new URL(spec?.endpoint ?? '').origin).toBe(new URL(emulator.endpoint).origin);
});

it('resolves the renewal spec once for many tasks, not once per task', async () => {
  const emulator = await startEmulator({ longPollMs: 200 });
  onTestFinished(() => emulator.close());
  const client = new DataPipelineClient({
    region: 'eu-west-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
  const source = new DataPipelineSource({ client });
  const received = [];
  for (let i = 0; i < 3; i++) {
    emulator.control.enqueueTask({ workerGroup: 'wg-spec-cache', type: 'Any' });
    received.push((await source.poll('wg-spec-cache'))!);
  }
  const specs = [];
  for (const task of received) specs.push((await task.renewalSpec!())!);
  // One resolution shared by every task: the very same credentials object, each with its own task id.
  expect(specs[1]!.credentials).toBe(specs[0]!.credentials);
  expect(specs[2]!.credentials).toBe(specs[0]!.credentials);
  expect(specs.map((s) => s.credentials?.accessKeyId)).toEqual(['AKIDTEST', 'AKIDTEST', 'AKIDTEST']);
  expect(new Set(specs.map((s) => s.taskId)).size).toBe(3);
});
