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
