import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  DescribeObjectsCommand,
  EvaluateExpressionCommand,
  PollForTaskCommand,
  PutPipelineDefinitionCommand,
  QueryObjectsCommand,
  ReportTaskProgressCommand,
  SetTaskStatusCommand,
} from '@aws-sdk/client-data-pipeline';
import type { DataPipelineClient, PipelineObject } from '@aws-sdk/client-data-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, emulator, field, objects, serviceError, sleep } from './helpers.ts';

afterEach(closeAll);

async function create(
  client: DataPipelineClient,
  pipelineObjects: PipelineObject[],
  parameters: Record<string, string> = {},
): Promise<string> {
  const { pipelineId } = await client.send(
    new CreatePipelineCommand({ name: `p${Math.random()}`, uniqueId: 'u' }),
  );
  const put = await client.send(
    new PutPipelineDefinitionCommand({
      pipelineId,
      pipelineObjects,
      parameterObjects: Object.entries(parameters).map(([id, d]) => ({
        id,
        attributes: [{ key: 'default', stringValue: d }],
      })),
    }),
  );
  expect(put.validationErrors ?? []).toEqual([]);
  await client.send(new ActivatePipelineCommand({ pipelineId }));
  return pipelineId!;
}

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (d: Date, sep = '-') =>
  [d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())].join(sep);

const DEFINITION = objects(
  { id: 'Default', scheduleType: 'ondemand', workerGroup: 'expr' },
  { id: 'Db', type: 'JdbcDatabase', connectionString: 'jdbc:postgresql://h/#{myDbName}', username: 'u' },
  { id: 'In', type: 'S3DataNode', directoryPath: "s3://data/in/#{format(@scheduledStartTime,'YYYY-MM-dd')}" },
  {
    id: 'Out',
    type: 'SqlDataNode',
    database: { ref: 'Db' },
    table: "out_#{format(minusDays(@scheduledStartTime,1),'YYYYMMdd')}",
    myNote: 'for #{node.@pipelineId}',
  },
  { id: 'Other', type: 'ShellCommandActivity', command: 'other' },
  { id: 'Base', myTeam: 'blue' },
  {
    id: 'Act',
    type: 'ShellCommandActivity',
    parent: { ref: 'Base' },
    input: { ref: 'In' },
    output: { ref: 'Out' },
    dependsOn: { ref: 'Other' },
    myGreeting: 'hello #{@pipelineId}',
    command:
      "echo #{myGreeting} #{input.directoryPath} #{format(plusHours(@scheduledStartTime,2),'HH')} " +
      "#{concat('a','b')} #{substring('abcdef',1,3)} #{indexOf('abc','c')} #{1+2*3} #{myParam} " +
      '#{output.database.username}',
  },
);

describe('task object graphs and expressions', () => {
  it('hands out the attempt plus everything it references, expressions evaluated', async () => {
    const { client } = await emulator({ longPollMs: 2000 });
    const pipelineId = await create(client, DEFINITION, { myParam: 'P', myDbName: 'db1' });
    const first = await client.send(new PollForTaskCommand({ workerGroup: 'expr' }));
    await client.send(new ReportTaskProgressCommand({ taskId: first.taskObject!.taskId! }));
    await client.send(
      new SetTaskStatusCommand({ taskId: first.taskObject!.taskId!, taskStatus: 'FINISHED' }),
    );
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'expr' }));
    const objs = taskObject!.objects!;
    const att = objs[taskObject!.attemptId!]!;
    expect(field(att, '@componentParent')).toBe('Act');
    // dependsOn is structure, not input: Other is not part of the graph.
    expect(Object.keys(objs).sort()).toEqual([taskObject!.attemptId!, 'Db', 'In', 'Out'].sort());
    const start = new Date(`${field(att, '@scheduledStartTime')!}Z`);
    const day = ymd(start);
    const hh = pad((start.getUTCHours() + 2) % 24);
    expect(field(att, 'command')).toBe(`echo hello ${pipelineId} s3://data/in/${day} ${hh} ab bc 2 7 P u`);
    expect(field(att, 'myGreeting')).toBe(`hello ${pipelineId}`);
    expect(field(att, '@actualStartTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(objs.In!.id).toBe('In');
    expect(field(objs.In, 'directoryPath')).toBe(`s3://data/in/${day}`);
    expect(field(objs.In, 'workerGroup')).toBe('expr');
    expect(field(objs.Out, 'table')).toBe(`out_${ymd(new Date(start.getTime() - 86_400_000), '')}`);
    // `node` is the running attempt for the objects it references.
    expect(field(objs.Out, 'myNote')).toBe(`for ${pipelineId}`);
    expect(objs.Out!.fields!.find((f) => f.key === 'database')).toEqual({ key: 'database', refValue: 'Db' });
    expect(field(objs.Db, 'connectionString')).toBe('jdbc:postgresql://h/db1');

    // DescribeObjects(evaluateExpressions) and EvaluateExpression use the same evaluator.
    const described = await client.send(
      new DescribeObjectsCommand({
        pipelineId,
        objectIds: [taskObject!.attemptId!],
        evaluateExpressions: true,
      }),
    );
    expect(field(described.pipelineObjects![0], 'command')).toBe(field(att, 'command'));
    const raw = await client.send(
      new DescribeObjectsCommand({ pipelineId, objectIds: [taskObject!.attemptId!] }),
    );
    expect(field(raw.pipelineObjects![0], 'command')).toContain('#{myGreeting}');
    const ev = await client.send(
      new EvaluateExpressionCommand({
        pipelineId,
        objectId: taskObject!.attemptId!,
        expression:
          "#{format(@scheduledStartTime,'YYYY')}/#{minusMonths(makeDate(2024,3,31),1)}/#{year(@scheduledStartTime)+1}",
      }),
    );
    expect(ev.evaluatedExpression).toBe(
      `${start.getUTCFullYear()}/2024-02-29T00:00:00/${start.getUTCFullYear() + 1}`,
    );
    const onComponent = await client.send(
      new EvaluateExpressionCommand({
        pipelineId,
        objectId: 'Act',
        expression: '#{myGreeting} #{parent.myTeam} #{myTeam}',
      }),
    );
    expect(onComponent.evaluatedExpression).toBe(`hello ${pipelineId} blue blue`);
    const unresolved = await serviceError(() =>
      client.send(
        new EvaluateExpressionCommand({ pipelineId, objectId: 'Act', expression: '#{input.nothing}' }),
      ),
    );
    expect(unresolved.name).toBe('InvalidRequestException');
    expect(unresolved.message).toMatch(/input\.nothing/);
  });

  it('keeps an expression that cannot be evaluated as written in a poll answer, IRE in EvaluateExpression', async () => {
    const { client } = await emulator({ longPollMs: 1000 });
    const pipelineId = await create(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', workerGroup: 'expr-bad' },
        {
          id: 'A',
          type: 'ShellCommandActivity',
          command: "echo #{makeDate(999999999,1,1)} #{substring('ab',5)} #{1/0} ok",
        },
      ),
    );
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'expr-bad' }));
    expect(field(taskObject!.objects![taskObject!.attemptId!], 'command')).toBe(
      "echo #{makeDate(999999999,1,1)} #{substring('ab',5)} #{1/0} ok",
    );
    const err = await serviceError(() =>
      client.send(
        new EvaluateExpressionCommand({
          pipelineId,
          objectId: 'A',
          expression: '#{makeDate(999999999,1,1)}',
        }),
      ),
    );
    expect(err.name).toBe('InvalidRequestException');
    expect(err.message).toMatch(/date out of range/);
  });

  it('bounds the work of fields that fan out through each other (no stall)', async () => {
    const { client } = await emulator({ longPollMs: 1000 });
    const fan: Record<string, string> = { myA0: 'x' };
    for (let i = 1; i <= 15; i++) fan[`myA${i}`] = `#{myA${i - 1}}`.repeat(10);
    await create(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', workerGroup: 'expr-fan' },
        { id: 'A', type: 'ShellCommandActivity', command: 'echo #{myA15}', ...fan },
      ),
    );
    const t0 = Date.now();
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'expr-fan' }));
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(field(taskObject!.objects![taskObject!.attemptId!], 'command')).toBe('echo #{myA15}');
    expect(field(taskObject!.objects![taskObject!.attemptId!], 'myA2')).toBe('x'.repeat(100));
  });

  it('implements the documented date, string and arithmetic functions (EvaluateExpression)', async () => {
    const { client } = await emulator();
    const pipelineId = await create(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', myWhen: '2024-01-31T22:20:30' },
        { id: 'A', type: 'ShellCommandActivity', command: 'x', workerGroup: 'g' },
      ),
    );
    const cases: Array<[string, string]> = [
      ["#{format(myWhen,'YYYY-MM-dd HH:mm:ss')}", '2024-01-31 22:20:30'],
      ["#{format(myWhen,'EEE, d MMM yy h:mm a D')}", 'Wed, 31 Jan 24 10:20 PM 31'],
      ["#{format(myWhen,\"'day' dd 'o''clock'\")}", "day 31 o'clock"],
      ['#{plusMonths(myWhen,1)}', '2024-02-29T22:20:30'],
      ['#{minusYears(plusMonths(myWhen,1),1)}', '2023-02-28T22:20:30'],
      ['#{plusHours(myWhen,2)}', '2024-02-01T00:20:30'],
      ['#{minusMinutes(myWhen,21)}', '2024-01-31T21:59:30'],
      ['#{plusWeeks(myWhen,1)}', '2024-02-07T22:20:30'],
      ['#{midnight(myWhen)}', '2024-01-31T00:00:00'],
      ['#{firstOfMonth(myWhen)}', '2024-01-01T22:20:30'],
      ['#{sunday(myWhen)}', '2024-01-28T22:20:30'],
      ['#{yesterday(myWhen)}', '2024-01-30T22:20:30'],
      ["#{inTimeZone(myWhen,'Asia/Tokyo')}", '2024-02-01T07:20:30'],
      ['#{makeDateTime(2020,2,29,13,5)}', '2020-02-29T13:05:00'],
      [
        '#{year(myWhen)}-#{month(myWhen)}-#{day(myWhen)} #{hour(myWhen)}:#{minute(myWhen)} #{dayOfYear(myWhen)}',
        '2024-1-31 22:20 31',
      ],
      ["#{concat('a', 1, myWhen)}", 'a12024-01-31T22:20:30'],
      [
        "#{indexOf('pipeline','line')} #{substring('pipeline',4)} #{substring('pipeline',0,4)}",
        '4 line pipe',
      ],
      ["#{(1+2)*3-4/2} #{-3+1} #{'a'+'b'} #{'2'+'3'}", '7 -2 ab 5'],
    ];
    for (const [expression, expected] of cases) {
      const r = await client.send(new EvaluateExpressionCommand({ pipelineId, objectId: 'A', expression }));
      expect(r.evaluatedExpression, expression).toBe(expected);
    }
    const wrongArity = await serviceError(() =>
      client.send(new EvaluateExpressionCommand({ pipelineId, objectId: 'A', expression: '#{midnight()}' })),
    );
    expect(wrongArity.message).toMatch(/midnight takes 1 arguments, got 0/);
  });

  it('rejects unknown functions and broken expressions at put time', async () => {
    const { client } = await emulator();
    const { pipelineId } = await client.send(new CreatePipelineCommand({ name: 'bad', uniqueId: 'bad' }));
    const put = await client.send(
      new PutPipelineDefinitionCommand({
        pipelineId,
        pipelineObjects: objects(
          { id: 'Default', scheduleType: 'ondemand', workerGroup: 'g' },
          { id: 'A', type: 'ShellCommandActivity', command: 'echo #{frobnicate(@scheduledStartTime)}' },
          { id: 'B', type: 'ShellCommandActivity', command: "echo #{format(@scheduledStartTime,'YYYY'}" },
        ),
      }),
    );
    expect(put.errored).toBe(true);
    const byId = Object.fromEntries(put.validationErrors!.map((e) => [e.id, e.errors!.join(' ')]));
    expect(byId.A).toMatch(/unknown function 'frobnicate'/);
    expect(byId.B).toMatch(/invalid expression/);
    const activate = await serviceError(() => client.send(new ActivatePipelineCommand({ pipelineId })));
    expect(activate.name).toBe('InvalidRequestException');
  });
});

describe('service-evaluated preconditions against the emulator S3', () => {
  it('holds the activity until S3KeyExists finds its key, then runs it', async () => {
    const { emu, client } = await emulator({
      longPollMs: 150,
      timeScale: 600,
      ackTimeoutMs: 10_000,
      s3Buckets: ['data'],
    });
    const pipelineId = await create(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', workerGroup: 'pre-s3' },
        {
          id: 'Ready',
          type: 'S3KeyExists',
          retryDelay: '1 minute',
          s3Key: "s3://data/ready/#{format(@scheduledStartTime,'YYYY')}/_SUCCESS",
        },
        { id: 'Prefix', type: 'S3PrefixNotEmpty', retryDelay: '1 minute', s3Prefix: 's3://data/input/' },
        {
          id: 'Work',
          type: 'ShellCommandActivity',
          command: 'x',
          precondition: [{ ref: 'Ready' }, { ref: 'Prefix' }],
        },
      ),
    );
    expect((await client.send(new PollForTaskCommand({ workerGroup: 'pre-s3' }))).taskObject).toBeUndefined();
    emu.s3!.putObject('data', 'input/part-0', 'rows');
    await sleep(250);
    expect((await client.send(new PollForTaskCommand({ workerGroup: 'pre-s3' }))).taskObject).toBeUndefined();
    const ids = (await client.send(new QueryObjectsCommand({ pipelineId, sphere: 'INSTANCE' }))).ids!;
    const year = new Date().getUTCFullYear();
    emu.s3!.putObject('data', `ready/${year}/_SUCCESS`, '');
    const deadline = Date.now() + 5_000;
    let taskObject;
    while (!taskObject && Date.now() < deadline)
      ({ taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'pre-s3' })));
    expect(field(taskObject?.objects?.[taskObject.attemptId!], '@componentParent')).toBe('Work');
    expect(ids.length).toBeGreaterThanOrEqual(3);
    // No runner ever saw a task for the preconditions: the service evaluated them.
    expect(Object.values(emu.control.observations().tasks).map((t) => t.objectId)).toEqual(['Work']);
  });

  it('makes an activity wait for the Exists precondition of its input data node (checked against S3)', async () => {
    const { emu, client } = await emulator({
      longPollMs: 150,
      timeScale: 600,
      ackTimeoutMs: 10_000,
      s3Buckets: ['data'],
    });
    await create(
      client,
      objects(
        { id: 'Default', scheduleType: 'ondemand', workerGroup: 'pre-node' },
        { id: 'InReady', type: 'Exists', retryDelay: '1 minute' },
        {
          id: 'In',
          type: 'S3DataNode',
          directoryPath: "s3://data/in/#{format(@scheduledStartTime,'YYYY')}",
          precondition: { ref: 'InReady' },
        },
        { id: 'Work', type: 'ShellCommandActivity', command: 'x', input: { ref: 'In' } },
      ),
    );
    expect(
      (await client.send(new PollForTaskCommand({ workerGroup: 'pre-node' }))).taskObject,
    ).toBeUndefined();
    emu.s3!.putObject('data', `in/${new Date().getUTCFullYear()}/part-0`, 'rows');
    const deadline = Date.now() + 5_000;
    let taskObject;
    while (!taskObject && Date.now() < deadline)
      ({ taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'pre-node' })));
    expect(field(taskObject?.objects?.[taskObject.attemptId!], '@componentParent')).toBe('Work');
    expect(Object.values(emu.control.observations().tasks).map((t) => t.objectId)).toEqual(['Work']);
  });
});
