import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  DescribeObjectsCommand,
  DescribePipelinesCommand,
  PollForTaskCommand,
  PutPipelineDefinitionCommand,
  QueryObjectsCommand,
  ReportTaskProgressCommand,
  SetStatusCommand,
  SetTaskStatusCommand,
} from '@aws-sdk/client-data-pipeline';
import type { DataPipelineClient, PipelineObject } from '@aws-sdk/client-data-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionObservation } from '../src/index.ts';
import { closeAll, emulator, field, objects } from './helpers.ts';

afterEach(closeAll);

async function activate(client: DataPipelineClient, pipelineObjects: PipelineObject[]): Promise<string> {
  const { pipelineId } = await client.send(
    new CreatePipelineCommand({ name: `p${Math.random()}`, uniqueId: 'u' }),
  );
  const put = await client.send(new PutPipelineDefinitionCommand({ pipelineId, pipelineObjects }));
  expect(put.validationErrors ?? []).toEqual([]);
  await client.send(new ActivatePipelineCommand({ pipelineId }));
  return pipelineId!;
}

async function run(
  client: DataPipelineClient,
  workerGroup: string,
  status: 'FINISHED' | 'FAILED',
  error?: string,
) {
  const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup }));
  expect(taskObject).toBeDefined();
  await client.send(new ReportTaskProgressCommand({ taskId: taskObject!.taskId! }));
  await client.send(
    new SetTaskStatusCommand({
      taskId: taskObject!.taskId!,
      taskStatus: status,
      ...(error === undefined ? {} : { errorMessage: error, errorId: 'E1' }),
    }),
  );
  return field(taskObject!.objects![taskObject!.attemptId!], '@componentParent');
}

async function instances(client: DataPipelineClient, pipelineId: string) {
  const { ids } = await client.send(new QueryObjectsCommand({ pipelineId, sphere: 'INSTANCE' }));
  const { pipelineObjects } = await client.send(new DescribeObjectsCommand({ pipelineId, objectIds: ids! }));
  return Object.fromEntries(
    pipelineObjects!.map((o) => [
      field(o, '@componentParent')!,
      { id: o.id!, status: field(o, '@status')!, waitingOn: field(o, '@waitingOn') },
    ]),
  );
}

async function pipelineState(client: DataPipelineClient, pipelineId: string) {
  const d = await client.send(new DescribePipelinesCommand({ pipelineIds: [pipelineId] }));
  return field(d.pipelineDescriptionList![0], '@pipelineState');
}

const chain = (mode?: string) =>
  objects(
    {
      id: 'Default',
      scheduleType: 'ondemand',
      workerGroup: 'rerun',
      maximumRetries: '0',
      ...(mode === undefined ? {} : { failureAndRerunMode: mode }),
    },
    { id: 'A', type: 'ShellCommandActivity', command: 'a' },
    { id: 'B', type: 'ShellCommandActivity', command: 'b', dependsOn: { ref: 'A' } },
  );

describe('failureAndRerunMode', () => {
  it('none (the default): dependents wait for the failed dependency and run once it is re-run', async () => {
    const { client } = await emulator({ longPollMs: 200 });
    const id = await activate(client, chain());
    expect(await run(client, 'rerun', 'FAILED')).toBe('A');
    const after = await instances(client, id);
    expect(after.A!.status).toBe('FAILED');
    expect(after.B).toMatchObject({ status: 'WAITING_ON_DEPENDENCIES', waitingOn: after.A!.id });
    expect((await client.send(new PollForTaskCommand({ workerGroup: 'rerun' }))).taskObject).toBeUndefined();
    expect(await pipelineState(client, id)).toBe('SCHEDULED');
    await client.send(new SetStatusCommand({ pipelineId: id, objectIds: [after.A!.id], status: 'RERUN' }));
    expect(await run(client, 'rerun', 'FINISHED')).toBe('A');
    expect(await run(client, 'rerun', 'FINISHED')).toBe('B');
    expect(await pipelineState(client, id)).toBe('FINISHED');
  });

  it('cascade: a re-run of a finished dependency re-runs its dependents', async () => {
    const { client } = await emulator({ longPollMs: 200 });
    // Hold is never polled, so the pipeline stays SCHEDULED and SetStatus stays allowed.
    const id = await activate(client, [
      ...chain('cascade'),
      ...objects({ id: 'Hold', type: 'ShellCommandActivity', command: 'h', workerGroup: 'hold' }),
    ]);
    expect(await run(client, 'rerun', 'FINISHED')).toBe('A');
    expect(await run(client, 'rerun', 'FINISHED')).toBe('B');
    const done = await instances(client, id);
    await client.send(new SetStatusCommand({ pipelineId: id, objectIds: [done.A!.id], status: 'RERUN' }));
    expect((await instances(client, id)).B!.status).toBe('WAITING_ON_DEPENDENCIES');
    expect(await run(client, 'rerun', 'FINISHED')).toBe('A');
    expect(await run(client, 'rerun', 'FINISHED')).toBe('B');
    expect(await pipelineState(client, id)).toBe('SCHEDULED');
  });
});

describe('actions', () => {
  it('fires onFail and onSuccess SnsAlarms with subject and message evaluated, visible over the control API', async () => {
    const { emu, client } = await emulator({ longPollMs: 200 });
    const id = await activate(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', workerGroup: 'alarms', maximumRetries: '0' },
        {
          id: 'FailAlarm',
          type: 'SnsAlarm',
          topicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
          role: 'DataPipelineDefaultRole',
          subject: '#{node.name} failed',
          message:
            "#{node.errorMessage} (#{node.errorId}) on #{format(node.@scheduledStartTime,'YYYY-MM-dd')}",
        },
        {
          id: 'OkAlarm',
          type: 'SnsAlarm',
          topicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
          subject: 'ok #{node.name}',
          message: 'done',
          role: 'r',
        },
        {
          id: 'Load',
          name: 'Nightly load',
          type: 'ShellCommandActivity',
          command: 'x',
          onFail: { ref: 'FailAlarm' },
        },
        {
          id: 'Tidy',
          type: 'ShellCommandActivity',
          command: 'y',
          onSuccess: { ref: 'OkAlarm' },
          onFail: { ref: 'FailAlarm' },
        },
      ),
    );
    const first = await run(client, 'alarms', 'FAILED', 'disk full');
    await run(client, 'alarms', first === 'Load' ? 'FINISHED' : 'FAILED', 'disk full');
    const res = await fetch(`${emu.endpoint}/_tasklane/observations`);
    const actions = ((await res.json()) as { actions: ActionObservation[] }).actions;
    const load = actions.find((a) => a.objectId === 'Load')!;
    expect(actions).toHaveLength(2);
    if (first === 'Load') {
      expect(load).toMatchObject({
        event: 'onFail',
        actionId: 'FailAlarm',
        type: 'SnsAlarm',
        pipelineId: id,
        topicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
        subject: 'Nightly load failed',
      });
      expect(load.message).toMatch(new RegExp(`^disk full \\(E1\\) on \\d{4}-\\d\\d-\\d\\d$`));
      expect(actions.find((a) => a.objectId === 'Tidy')).toMatchObject({
        event: 'onSuccess',
        subject: 'ok Tidy',
      });
    } else {
      expect(actions.find((a) => a.objectId === 'Tidy')).toMatchObject({
        event: 'onFail',
        subject: 'Tidy failed',
      });
      expect(load).toMatchObject({ event: 'onFail', subject: 'Nightly load failed' });
    }
  });

  it('fires onLateAction after lateAfterTimeout on a scheduled instance; Terminate cancels it', async () => {
    const { emu, client } = await emulator({ longPollMs: 100, timeScale: 600, ackTimeoutMs: 10_000 });
    const id = await activate(
      client,
      objects(
        { id: 'Default', workerGroup: 'late', schedule: { ref: 'Once' } },
        {
          id: 'Once',
          type: 'Schedule',
          period: '1 day',
          startAt: 'FIRST_ACTIVATION_DATE_TIME',
          occurrences: '1',
        },
        {
          id: 'Late',
          type: 'SnsAlarm',
          topicArn: 'arn:t',
          subject: 'late: #{node.@componentParent}',
          message: 'm',
          role: 'r',
        },
        { id: 'Stop', type: 'Terminate' },
        {
          id: 'Slow',
          type: 'ShellCommandActivity',
          command: 'x',
          lateAfterTimeout: '1 minute',
          onLateAction: [{ ref: 'Late' }, { ref: 'Stop' }],
        },
      ),
    );
    // One service minute is 100 ms here; nobody polls, so the instance is still waiting for a runner.
    const o = await emu.control.waitFor((x) => (x.actions?.length ?? 0) >= 2, 5_000);
    expect(o.actions!.map((a) => [a.event, a.actionId, a.type])).toEqual([
      ['onLateAction', 'Late', 'SnsAlarm'],
      ['onLateAction', 'Stop', 'Terminate'],
    ]);
    expect(o.actions![0]!.subject).toBe('late: Slow');
    expect((await instances(client, id)).Slow!.status).toBe('CANCELED');
    expect((await client.send(new PollForTaskCommand({ workerGroup: 'late' }))).taskObject).toBeUndefined();
  });
});
