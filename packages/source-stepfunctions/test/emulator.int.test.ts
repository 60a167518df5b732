import {
  CreateStateMachineCommand,
  DeleteActivityCommand,
  DescribeActivityCommand,
  GetActivityTaskCommand,
  ListActivitiesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSfnEmulator, taskState, unique, type SfnEmulator } from './helpers.ts';

describe('the emulator speaks Step Functions (real SFNClient)', () => {
  let sfn: SfnEmulator;
  beforeAll(async () => {
    sfn = await startSfnEmulator();
  });
  afterAll(() => sfn?.close());

  it('creates, lists, describes and deletes activities', async () => {
    const name = unique('act');
    const arn = await sfn.activity(name);
    expect(await sfn.activity(name)).toBe(arn);
    const listed = await sfn.client.send(new ListActivitiesCommand({}));
    expect(listed.activities?.map((a) => a.name)).toContain(name);
    const described = await sfn.client.send(new DescribeActivityCommand({ activityArn: arn }));
    expect(described.name).toBe(name);
    expect(described.creationDate).toBeInstanceOf(Date);
    await sfn.client.send(new DeleteActivityCommand({ activityArn: arn }));
    await expect(sfn.client.send(new DescribeActivityCommand({ activityArn: arn }))).rejects.toMatchObject({
      name: 'ActivityDoesNotExist',
    });
  });

  it('long-polls empty, hands a task out once, and answers TaskTimedOut / TaskDoesNotExist', async () => {
    const arn = await sfn.activity(unique('poll'));
    const started = Date.now();
    const empty = await sfn.client.send(new GetActivityTaskCommand({ activityArn: arn }));
    expect(empty.taskToken).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const machine = await sfn.machine({
      StartAt: 'T',
      States: { T: { ...taskState(arn, { a: 1 }), End: true } },
    });
    const run = await sfn.start(machine);
    const task = await sfn.client.send(new GetActivityTaskCommand({ activityArn: arn, workerName: 'w1' }));
    expect(JSON.parse(task.input!)).toMatchObject({ fields: { a: 1 }, tasklane: { retryCount: 0 } });
    await sfn.client.send(new SendTaskHeartbeatCommand({ taskToken: task.taskToken }));
    await expect(
      sfn.client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: 'not json' })),
    ).rejects.toMatchObject({ name: 'InvalidOutput' });
    await expect(
      sfn.client.send(new SendTaskFailureCommand({ taskToken: task.taskToken, error: 'E'.repeat(257) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await sfn.client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{"ok":1}' }));
    await expect(
      sfn.client.send(new SendTaskHeartbeatCommand({ taskToken: task.taskToken })),
    ).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    await expect(sfn.client.send(new SendTaskHeartbeatCommand({ taskToken: 'nope' }))).rejects.toMatchObject({
      name: 'TaskDoesNotExist',
    });
    const done = await sfn.finished(run);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ ok: 1 });
    const types = (await sfn.history(run)).map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivitySucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('runs Pass, Choice and Fail states, and refuses invalid definitions', async () => {
    const machine = await sfn.machine({
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Result: { n: 5 }, ResultPath: '$.x', Next: 'Pick' },
        Pick: {
          Type: 'Choice',
          Choices: [{ Variable: '$.x.n', NumericGreaterThan: 3, Next: 'Big' }],
          Default: 'Small',
        },
        Big: { Type: 'Fail', Error: 'Too.Big', Cause: 'n > 3' },
        Small: { Type: 'Succeed' },
      },
    });
    const done = await sfn.finished(await sfn.start(machine, { y: 1 }));
    expect(done).toMatchObject({ status: 'FAILED', error: 'Too.Big', cause: 'n > 3' });
    await expect(
      sfn.client.send(
        new CreateStateMachineCommand({
          name: unique('bad'),
          roleArn: 'arn:aws:iam::0:role/x',
          definition: JSON.stringify({ StartAt: 'Nowhere', States: {} }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });
});
