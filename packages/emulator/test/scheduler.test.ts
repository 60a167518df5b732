import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  DescribePipelinesCommand,
  PollForTaskCommand,
  PutPipelineDefinitionCommand,
  QueryObjectsCommand,
  DescribeObjectsCommand,
  ReportTaskProgressCommand,
  SetTaskStatusCommand,
} from '@aws-sdk/client-data-pipeline';
import type { DataPipelineClient, PipelineObject, TaskObject } from '@aws-sdk/client-data-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, emulator, field, objects } from './helpers.ts';

afterEach(closeAll);

async function activate(client: DataPipelineClient, pipelineObjects: PipelineObject[]): Promise<string> {
  const { pipelineId } = await client.send(
    new CreatePipelineCommand({ name: `p-${Math.random()}`, uniqueId: 'u' }),
  );
  const put = await client.send(new PutPipelineDefinitionCommand({ pipelineId, pipelineObjects }));
  expect(put.errored).toBe(false);
  await client.send(new ActivatePipelineCommand({ pipelineId }));
  return pipelineId!;
}

async function run(
  client: DataPipelineClient,
  workerGroup: string,
  status: 'FINISHED' | 'FAILED' | 'FALSE',
): Promise<TaskObject> {
  const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup }));
  expect(taskObject).toBeDefined();
  await client.send(new ReportTaskProgressCommand({ taskId: taskObject!.taskId! }));
  await client.send(new SetTaskStatusCommand({ taskId: taskObject!.taskId!, taskStatus: status }));
  return taskObject!;
}

async function statuses(client: DataPipelineClient, pipelineId: string): Promise<Record<string, string>> {
  const { ids } = await client.send(new QueryObjectsCommand({ pipelineId, sphere: 'INSTANCE' }));
  const { pipelineObjects } = await client.send(new DescribeObjectsCommand({ pipelineId, objectIds: ids! }));
  return Object.fromEntries(
    pipelineObjects!.map((o) => [field(o, '@componentParent')!, field(o, '@status')!]),
  );
}

async function pipelineState(client: DataPipelineClient, pipelineId: string): Promise<string | undefined> {
  const d = await client.send(new DescribePipelinesCommand({ pipelineIds: [pipelineId] }));
  return field(d.pipelineDescriptionList![0], '@pipelineState');
}

const component = (attemptId: string | undefined) => attemptId!.slice(1).split('_')[0];

describe('scheduler', () => {
  it('runs a dependsOn chain in order and finishes the pipeline', async () => {
    const { client } = await emulator({ longPollMs: 100 });
    const id = await activate(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', workerGroup: 'chain', maximumRetries: '0' },
        { id: 'C', type: 'ShellCommandActivity', command: 'c', dependsOn: { ref: 'B' } },
        { id: 'B', type: 'ShellCommandActivity', command: 'b', dependsOn: { ref: 'A' } },
        { id: 'A', type: 'ShellCommandActivity', command: 'a' },
      ),
    );
    expect(await statuses(client, id)).toEqual({
      A: 'WAITING_FOR_RUNNER',
      B: 'WAITING_ON_DEPENDENCIES',
      C: 'WAITING_ON_DEPENDENCIES',
    });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push(component((await run(client, 'chain', 'FINISHED')).attemptId)!);
    expect(order).toEqual(['A', 'B', 'C']);
    expect((await client.send(new PollForTaskCommand({ workerGroup: 'chain' }))).taskObject).toBeUndefined();
    expect(await pipelineState(client, id)).toBe('FINISHED');
  });

  it('cascade-fails dependents when a dependency fails', async () => {
    const { client } = await emulator({ longPollMs: 100 });
    const id = await activate(
      client,
      objects(
        {
          id: 'Default',
          scheduleType: 'ondemand',
          workerGroup: 'cascade',
          maximumRetries: '0',
          failureAndRerunMode: 'cascade',
        },
        { id: 'A', type: 'ShellCommandActivity', command: 'a' },
        { id: 'B', type: 'ShellCommandActivity', command: 'b', dependsOn: { ref: 'A' } },
        { id: 'C', type: 'ShellCommandActivity', command: 'c', dependsOn: { ref: 'B' } },
        { id: 'Free', type: 'ShellCommandActivity', command: 'f' },
      ),
    );
    expect(component((await run(client, 'cascade', 'FAILED')).attemptId)).toBe('A');
    const s = await statuses(client, id);
    expect(s).toMatchObject({
      A: 'FAILED',
      B: 'CASCADE_FAILED',
      C: 'CASCADE_FAILED',
      Free: 'WAITING_FOR_RUNNER',
    });
    const { ids } = await client.send(
      new QueryObjectsCommand({
        pipelineId: id,
        sphere: 'INSTANCE',
        query: {
          selectors: [{ fieldName: '@componentParent', operator: { type: 'REF_EQ', values: ['C'] } }],
        },
      }),
    );
    const c = await client.send(new DescribeObjectsCommand({ pipelineId: id, objectIds: ids! }));
    expect(field(c.pipelineObjects![0], '@cascadeFailedOn')).toMatch(/^@B_/);
    expect(component((await run(client, 'cascade', 'FINISHED')).attemptId)).toBe('Free');
    expect(await pipelineState(client, id)).toBe('FINISHED');
  });

  it('runs a ShellCommandPrecondition first: FALSE retries after retryDelay, FINISHED releases the activity', async () => {
    const { client } = await emulator({ longPollMs: 1000, timeScale: 6000, ackTimeoutMs: 10_000 });
    const id = await activate(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand' },
        { id: 'Ready', type: 'ShellCommandPrecondition', command: 'test -f /tmp/x', retryDelay: '2 minutes' },
        {
          id: 'Work',
          type: 'ShellCommandActivity',
          command: 'echo work',
          workerGroup: 'pre',
          precondition: { ref: 'Ready' },
        },
      ),
    );
    expect(await statuses(client, id)).toMatchObject({
      Work: 'WAITING_ON_DEPENDENCIES',
      Ready: 'WAITING_FOR_RUNNER',
    });
    const check1 = await run(client, 'pre', 'FALSE');
    expect(field(check1.objects![check1.attemptId!], 'type')).toBe('ShellCommandPrecondition');
    expect(field(check1.objects![check1.attemptId!], 'workerGroup')).toBe('pre');
    const check2 = await run(client, 'pre', 'FINISHED');
    expect(check2.attemptId).toBe(check1.attemptId!.replace(/Attempt=1$/, 'Attempt=2'));
    const work = await run(client, 'pre', 'FINISHED');
    expect(component(work.attemptId)).toBe('Work');
    expect(await statuses(client, id)).toEqual({ Ready: 'FINISHED', Work: 'FINISHED' });
    const attempt1 = await client.send(
      new DescribeObjectsCommand({ pipelineId: id, objectIds: [check1.attemptId!] }),
    );
    expect(field(attempt1.pipelineObjects![0], 'attemptStatus')).toBe('FALSE');
  });

  it('cancels the activity when its precondition stays false past preconditionTimeout', async () => {
    // The ack window is not scaled here: 2 min / 6000 = 20 ms is less than one round trip on a busy machine.
    const { emu, client } = await emulator({ longPollMs: 300, timeScale: 6000, ackTimeoutMs: 10_000 });
    const id = await activate(
      client,
      objects(
        {
          id: 'Default',
          scheduleType: 'ondemand',
          workerGroup: 'pre-timeout',
          failureAndRerunMode: 'CASCADE',
        },
        { id: 'Never', type: 'Exists', retryDelay: '1 minute', preconditionTimeout: '5 minutes' },
        { id: 'Work', type: 'ShellCommandActivity', command: 'x', precondition: { ref: 'Never' } },
        { id: 'After', type: 'ShellCommandActivity', command: 'y', dependsOn: { ref: 'Work' } },
      ),
    );
    // 5 minutes of service time is 50 ms: keep answering FALSE until the service gives up.
    for (let i = 0; i < 20; i++) {
      const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'pre-timeout' }));
      if (!taskObject) break;
      await client.send(new ReportTaskProgressCommand({ taskId: taskObject.taskId! }));
      await client.send(new SetTaskStatusCommand({ taskId: taskObject.taskId!, taskStatus: 'FALSE' }));
    }
    expect(await statuses(client, id)).toEqual({
      Never: 'FAILED',
      Work: 'CANCELED',
      After: 'CASCADE_FAILED',
    });
    expect(Object.values(emu.control.observations().tasks).every((t) => t.type === 'Exists')).toBe(true);
    expect(await pipelineState(client, id)).toBe('FINISHED');
  });

  it('evaluates S3KeyExists against the emulator S3: an existing key is met at once', async () => {
    const { emu, client } = await emulator({ longPollMs: 100, s3Buckets: ['bkt'] });
    emu.s3!.putObject('bkt', 'k', 'x');
    const id = await activate(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', workerGroup: 's3' },
        { id: 'Key', type: 'S3KeyExists', s3Key: 's3://bkt/k' },
        { id: 'Work', type: 'ShellCommandActivity', command: 'x', precondition: { ref: 'Key' } },
      ),
    );
    expect(component((await run(client, 's3', 'FINISHED')).attemptId)).toBe('Work');
    expect(await statuses(client, id)).toEqual({ Key: 'FINISHED', Work: 'FINISHED' });
  });

  it('creates one instance per Schedule period, scaled by timeScale', async () => {
    // The ack window stays unscaled (33 ms would be less than a round trip on a busy machine).
    const { client } = await emulator({ longPollMs: 100, timeScale: 3600, ackTimeoutMs: 10_000 });
    // 15-minute periods pass every 250 ms; three occurrences starting at activation.
    const id = await activate(
      client,
      objects(
        { id: 'Default', workerGroup: 'periodic', schedule: { ref: 'Every15' } },
        {
          id: 'Every15',
          type: 'Schedule',
          period: '15 minutes',
          startAt: 'FIRST_ACTIVATION_DATE_TIME',
          occurrences: '3',
        },
        { id: 'Tick', type: 'ShellCommandActivity', command: 'tick' },
      ),
    );
    const starts: string[] = [];
    const deadline = Date.now() + 5000;
    while (starts.length < 3 && Date.now() < deadline) {
      const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'periodic' }));
      if (!taskObject) continue;
      starts.push(field(taskObject.objects![taskObject.attemptId!], '@scheduledStartTime')!);
      await client.send(new ReportTaskProgressCommand({ taskId: taskObject.taskId! }));
      await client.send(new SetTaskStatusCommand({ taskId: taskObject.taskId!, taskStatus: 'FINISHED' }));
    }
    expect(starts).toHaveLength(3);
    const ms = starts.map((s) => Date.parse(`${s}Z`));
    expect(ms[1]! - ms[0]!).toBe(15 * 60_000);
    expect(ms[2]! - ms[1]!).toBe(15 * 60_000);
    expect(await pipelineState(client, id)).toBe('FINISHED');
  });
});
