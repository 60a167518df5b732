import {
  ActivatePipelineCommand,
  AddTagsCommand,
  CreatePipelineCommand,
  DeactivatePipelineCommand,
  DeletePipelineCommand,
  DescribeObjectsCommand,
  DescribePipelinesCommand,
  EvaluateExpressionCommand,
  GetPipelineDefinitionCommand,
  ListPipelinesCommand,
  PollForTaskCommand,
  PutPipelineDefinitionCommand,
  QueryObjectsCommand,
  RemoveTagsCommand,
  ReportTaskProgressCommand,
  SetStatusCommand,
  SetTaskStatusCommand,
  ValidatePipelineDefinitionCommand,
  paginateListPipelines,
  paginateQueryObjects,
} from '@aws-sdk/client-data-pipeline';
import type { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, emulator, field, objects, serviceError } from './helpers.ts';

afterEach(closeAll);

const onDemand = (wg: string) =>
  objects(
    { id: 'Default', scheduleType: 'ondemand', workerGroup: wg },
    { id: 'Hello', type: 'ShellCommandActivity', command: 'echo #{myGreeting}' },
  );

async function pipeline(client: DataPipelineClient, name = 'p', uniqueId = name): Promise<string> {
  return (await client.send(new CreatePipelineCommand({ name, uniqueId }))).pipelineId!;
}

describe('pipelines', () => {
  it('creates idempotently on (name, uniqueId) and describes with service fields', async () => {
    const { client } = await emulator();
    const a = await client.send(
      new CreatePipelineCommand({
        name: 'n',
        uniqueId: 'u1',
        description: 'd',
        tags: [{ key: 'team', value: 'x' }],
      }),
    );
    const again = await client.send(new CreatePipelineCommand({ name: 'n', uniqueId: 'u1' }));
    const other = await client.send(new CreatePipelineCommand({ name: 'n', uniqueId: 'u2' }));
    expect(a.pipelineId).toMatch(/^df-[A-Z0-9]{20}$/);
    expect(again.pipelineId).toBe(a.pipelineId);
    expect(other.pipelineId).not.toBe(a.pipelineId);
    const { pipelineDescriptionList } = await client.send(
      new DescribePipelinesCommand({ pipelineIds: [a.pipelineId!] }),
    );
    const desc = pipelineDescriptionList![0]!;
    expect(desc).toMatchObject({
      pipelineId: a.pipelineId,
      name: 'n',
      description: 'd',
      tags: [{ key: 'team', value: 'x' }],
    });
    expect(field(desc, '@pipelineState')).toBe('PENDING');
    expect(field(desc, '@sphere')).toBe('PIPELINE');
    expect(field(desc, 'uniqueId')).toBe('u1');
    expect(field(desc, '@userId')).toBe('AKIDTEST');
    expect(field(desc, '@creationTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('lists pipelines with marker pagination and hides enqueue pipelines', async () => {
    const { emu, client } = await emulator();
    const created = new Set<string>();
    for (let i = 0; i < 30; i++) created.add(await pipeline(client, `p${i}`));
    emu.control.enqueueTask({ workerGroup: 'hidden' });
    const first = await client.send(new ListPipelinesCommand({}));
    expect(first.pipelineIdList).toHaveLength(25);
    expect(first.hasMoreResults).toBe(true);
    expect(first.marker).toBeTruthy();
    const seen: string[] = [];
    for await (const page of paginateListPipelines({ client }, {}))
      seen.push(...page.pipelineIdList!.map((p) => p.id!));
    expect(new Set(seen)).toEqual(created);
    const bad = await serviceError(() => client.send(new ListPipelinesCommand({ marker: 'garbage' })));
    expect(bad.name).toBe('InvalidRequestException');
    expect(bad.message).toContain('marker');
  });

  it('answers PipelineNotFound and PipelineDeleted', async () => {
    const { client } = await emulator();
    const missing = await serviceError(() =>
      client.send(new DescribePipelinesCommand({ pipelineIds: ['df-NOPE'] })),
    );
    expect(missing.name).toBe('PipelineNotFoundException');
    expect(missing.$metadata.httpStatusCode).toBe(400);
    const id = await pipeline(client);
    await client.send(new DeletePipelineCommand({ pipelineId: id }));
    const deleted = await serviceError(() =>
      client.send(new GetPipelineDefinitionCommand({ pipelineId: id })),
    );
    expect(deleted.name).toBe('PipelineDeletedException');
    const again = await serviceError(() => client.send(new DeletePipelineCommand({ pipelineId: id })));
    expect(again.name).toBe('PipelineNotFoundException');
    // The (name, uniqueId) pair is free again.
    expect(await pipeline(client)).not.toBe(id);
  });

  it('upserts and removes tags, at most 10', async () => {
    const { client } = await emulator();
    const id = await pipeline(client);
    await client.send(
      new AddTagsCommand({
        pipelineId: id,
        tags: [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
      }),
    );
    await client.send(new AddTagsCommand({ pipelineId: id, tags: [{ key: 'a', value: '3' }] }));
    await client.send(new RemoveTagsCommand({ pipelineId: id, tagKeys: ['b'] }));
    const d = await client.send(new DescribePipelinesCommand({ pipelineIds: [id] }));
    expect(d.pipelineDescriptionList![0]!.tags).toEqual([{ key: 'a', value: '3' }]);
    const many = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    const err = await serviceError(() => client.send(new AddTagsCommand({ pipelineId: id, tags: many })));
    expect(err.name).toBe('InvalidRequestException');
    expect(err.message).toMatch(/at most 10 tags/);
  });
});

describe('definitions', () => {
  it('reports validation errors and warnings like the service and does not save errored definitions', async () => {
    const { client } = await emulator();
    const id = await pipeline(client);
    const def = [
      ...objects(
        { id: 'Schedule', type: 'Schedule', period: '1 hour', startDateTime: 'tomorrow' },
        { id: 'NoCommand', type: 'ShellCommandActivity', workerGroup: 'wg' },
        { id: 'Lonely', type: 'ShellCommandActivity', command: 'x' },
        {
          id: 'BadRef',
          type: 'ShellCommandActivity',
          command: 'x',
          workerGroup: 'wg',
          dependsOn: { ref: 'Ghost' },
        },
        { id: 'Empty', type: 'ShellCommandActivity', command: '', workerGroup: 'wg' },
      ),
      { id: '', name: 'anonymous', fields: [{ key: 'type', stringValue: 'ShellCommandActivity' }] },
    ];
    const v = await client.send(
      new ValidatePipelineDefinitionCommand({ pipelineId: id, pipelineObjects: def }),
    );
    expect(v.errored).toBe(true);
    const errors = Object.fromEntries(v.validationErrors!.map((e) => [e.id, e.errors!.join(' | ')]));
    expect(errors.Schedule).toContain(
      "INVALID_FIELD_VALUE:  'startDateTime' value must be a literal datetime value.",
    );
    expect(errors.NoCommand).toMatch(/requires one of 'command' or 'scriptUri'/);
    expect(errors.BadRef).toMatch(/'dependsOn' refers to 'Ghost'/);
    expect(errors.Empty).toMatch(/'command' value cannot be empty/);
    expect(errors.anonymous).toMatch(/'id' is required/);
    const warnings = Object.fromEntries(v.validationWarnings!.map((w) => [w.id, w.warnings!.join(' | ')]));
    expect(warnings.Lonely).toMatch(/neither 'workerGroup' nor 'runsOn'/);

    const put = await client.send(new PutPipelineDefinitionCommand({ pipelineId: id, pipelineObjects: def }));
    expect(put.errored).toBe(true);
    const got = await client.send(new GetPipelineDefinitionCommand({ pipelineId: id }));
    expect(got.pipelineObjects).toEqual([]);
    const activate = await serviceError(() => client.send(new ActivatePipelineCommand({ pipelineId: id })));
    expect(activate.name).toBe('InvalidRequestException');
  });

  it('rejects too many objects', async () => {
    const { client } = await emulator();
    const id = await pipeline(client);
    const def = Array.from({ length: 101 }, (_, i) => ({
      id: `o${i}`,
      name: `o${i}`,
      fields: [{ key: 'myX', stringValue: '1' }],
    }));
    const r = await client.send(new PutPipelineDefinitionCommand({ pipelineId: id, pipelineObjects: def }));
    expect(r.errored).toBe(true);
    expect(r.validationErrors![0]!.errors![0]).toMatch(/TOO_MANY_OBJECTS/);
  });

  it('saves a valid definition, versions it, substitutes parameters on activation', async () => {
    const { client } = await emulator();
    const id = await pipeline(client);
    const put = await client.send(
      new PutPipelineDefinitionCommand({
        pipelineId: id,
        pipelineObjects: onDemand('wg-params'),
        parameterObjects: [
          {
            id: 'myGreeting',
            attributes: [
              { key: 'type', stringValue: 'String' },
              { key: 'default', stringValue: 'hello' },
            ],
          },
        ],
      }),
    );
    expect(put).toMatchObject({ errored: false });
    expect(put.validationErrors).toBeUndefined();
    const latest = await client.send(new GetPipelineDefinitionCommand({ pipelineId: id, version: 'latest' }));
    expect(latest.pipelineObjects!.map((o) => o.id)).toEqual(['Default', 'Hello']);
    expect(latest.parameterObjects![0]!.id).toBe('myGreeting');
    const noActive = await serviceError(() =>
      client.send(new GetPipelineDefinitionCommand({ pipelineId: id, version: 'active' })),
    );
    expect(noActive.name).toBe('InvalidRequestException');
    await client.send(
      new ActivatePipelineCommand({
        pipelineId: id,
        parameterValues: [{ id: 'myGreeting', stringValue: 'bonjour' }],
      }),
    );
    const active = await client.send(new GetPipelineDefinitionCommand({ pipelineId: id, version: 'active' }));
    expect(active.parameterValues).toEqual([{ id: 'myGreeting', stringValue: 'bonjour' }]);
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'wg-params' }));
    expect(field(taskObject!.objects![taskObject!.attemptId!], 'command')).toBe('echo bonjour');
  });
});

describe('objects', () => {
  async function ranPipeline(client: DataPipelineClient) {
    const id = await pipeline(client);
    await client.send(
      new PutPipelineDefinitionCommand({
        pipelineId: id,
        pipelineObjects: objects(
          { id: 'Default', scheduleType: 'ondemand', workerGroup: 'wg-obj', myColor: 'blue' },
          ...Array.from({ length: 12 }, (_, i) => ({
            id: `A${i}`,
            type: 'ShellCommandActivity',
            command: `echo #{myColor} ${i}`,
          })),
        ),
      }),
    );
    await client.send(new ActivatePipelineCommand({ pipelineId: id }));
    return id;
  }

  it('QueryObjects filters with ANDed selectors and paginates with limit', async () => {
    const { client } = await emulator();
    const id = await ranPipeline(client);
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'wg-obj' }));
    await client.send(new ReportTaskProgressCommand({ taskId: taskObject!.taskId! }));
    await client.send(new SetTaskStatusCommand({ taskId: taskObject!.taskId!, taskStatus: 'FINISHED' }));

    const components = await client.send(new QueryObjectsCommand({ pipelineId: id, sphere: 'COMPONENT' }));
    expect(components.ids).toHaveLength(13);
    const all: string[] = [];
    for await (const page of paginateQueryObjects(
      { client, pageSize: 5 },
      { pipelineId: id, sphere: 'INSTANCE' },
    )) {
      expect(page.ids!.length).toBeLessThanOrEqual(5);
      all.push(...page.ids!);
    }
    expect(all).toHaveLength(12);
    const finished = await client.send(
      new QueryObjectsCommand({
        pipelineId: id,
        sphere: 'INSTANCE',
        query: { selectors: [{ fieldName: '@status', operator: { type: 'EQ', values: ['FINISHED'] } }] },
      }),
    );
    expect(finished.ids).toEqual([taskObject!.attemptId!.replace(/_Attempt=1$/, '')]);
    const comp = taskObject!.attemptId!.slice(1).split('_')[0]!;
    const byParent = await client.send(
      new QueryObjectsCommand({
        pipelineId: id,
        sphere: 'ATTEMPT',
        query: {
          selectors: [
            { fieldName: '@componentParent', operator: { type: 'REF_EQ', values: [comp] } },
            {
              fieldName: '@scheduledStartTime',
              operator: { type: 'BETWEEN', values: ['2000-01-01T00:00:00', '2999-01-01T00:00:00'] },
            },
          ],
        },
      }),
    );
    expect(byParent.ids).toEqual([taskObject!.attemptId]);
    const none = await client.send(
      new QueryObjectsCommand({
        pipelineId: id,
        sphere: 'INSTANCE',
        query: {
          selectors: [
            { fieldName: '@actualStartTime', operator: { type: 'LE', values: ['2000-01-01T00:00:00'] } },
          ],
        },
      }),
    );
    expect(none.ids).toEqual([]);
    const badOp = await serviceError(() =>
      client.send(
        new QueryObjectsCommand({
          pipelineId: id,
          sphere: 'INSTANCE',
          query: { selectors: [{ fieldName: 'name', operator: { type: 'GE', values: ['a'] } }] },
        }),
      ),
    );
    expect(badOp.name).toBe('InvalidRequestException');
    const badSphere = await serviceError(() =>
      client.send(new QueryObjectsCommand({ pipelineId: id, sphere: 'PLANET' })),
    );
    expect(badSphere.message).toContain('sphere');
  });

  it('DescribeObjects pages by marker and evaluates simple expressions; EvaluateExpression substitutes fields', async () => {
    const { client } = await emulator();
    const id = await ranPipeline(client);
    const ids = Array.from({ length: 12 }, (_, i) => `A${i}`).concat(
      Array.from({ length: 14 }, (_, i) => `B${i}`),
      ['Default'],
    );
    const first = await client.send(
      new DescribeObjectsCommand({ pipelineId: id, objectIds: ids, evaluateExpressions: true }),
    );
    expect(first.hasMoreResults).toBe(true);
    expect(first.pipelineObjects).toHaveLength(12);
    expect(field(first.pipelineObjects![3], 'command')).toBe('echo blue 3');
    expect(field(first.pipelineObjects![3], '@sphere')).toBe('COMPONENT');
    const second = await client.send(
      new DescribeObjectsCommand({ pipelineId: id, objectIds: ids, marker: first.marker! }),
    );
    expect(second.hasMoreResults).toBe(false);
    expect(second.pipelineObjects!.map((o) => o.id)).toEqual(['Default']);
    const raw = await client.send(new DescribeObjectsCommand({ pipelineId: id, objectIds: ['A1'] }));
    expect(field(raw.pipelineObjects![0], 'command')).toBe('echo #{myColor} 1');

    const ev = await client.send(
      new EvaluateExpressionCommand({
        pipelineId: id,
        objectId: 'A2',
        expression: 'color=#{myColor} wg=#{workerGroup}',
      }),
    );
    expect(ev.evaluatedExpression).toBe('color=blue wg=wg-obj');
    const bad = await serviceError(() =>
      client.send(
        new EvaluateExpressionCommand({
          pipelineId: id,
          objectId: 'A2',
          expression: '#{format(@scheduledStartTime,"YYYY")}',
        }),
      ),
    );
    expect(bad.name).toBe('InvalidRequestException');
  });

  it('SetStatus pauses and resumes components, cancels and reruns instances', async () => {
    const { client } = await emulator({ longPollMs: 100 });
    const id = await pipeline(client);
    await client.send(
      new PutPipelineDefinitionCommand({
        pipelineId: id,
        pipelineObjects: objects(
          { id: 'Default', scheduleType: 'ondemand', workerGroup: 'wg-ss' },
          { id: 'One', type: 'ShellCommandActivity', command: 'x' },
          { id: 'Two', type: 'ShellCommandActivity', command: 'y', workerGroup: 'wg-other' },
        ),
      }),
    );
    await client.send(new ActivatePipelineCommand({ pipelineId: id }));
    await client.send(new SetStatusCommand({ pipelineId: id, objectIds: ['One'], status: 'pause' }));
    expect((await client.send(new PollForTaskCommand({ workerGroup: 'wg-ss' }))).taskObject).toBeUndefined();
    const inst = (
      await client.send(
        new QueryObjectsCommand({
          pipelineId: id,
          sphere: 'INSTANCE',
          query: {
            selectors: [{ fieldName: '@componentParent', operator: { type: 'REF_EQ', values: ['One'] } }],
          },
        }),
      )
    ).ids![0]!;
    const paused = await client.send(new DescribeObjectsCommand({ pipelineId: id, objectIds: [inst] }));
    expect(field(paused.pipelineObjects![0], '@status')).toBe('PAUSED');
    await client.send(new SetStatusCommand({ pipelineId: id, objectIds: ['One'], status: 'RESUME' }));
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'wg-ss' }));
    expect(taskObject?.attemptId).toBe(`${inst}_Attempt=1`);

    const mixed = await serviceError(() =>
      client.send(new SetStatusCommand({ pipelineId: id, objectIds: ['One', inst], status: 'PAUSE' })),
    );
    expect(mixed.message).toMatch(/mixes component and instance/);
    const wrong = await serviceError(() =>
      client.send(new SetStatusCommand({ pipelineId: id, objectIds: [inst], status: 'PAUSE' })),
    );
    expect(wrong.message).toMatch(/TRY_CANCEL/);

    await client.send(new SetStatusCommand({ pipelineId: id, objectIds: [inst], status: 'TRY_CANCEL' }));
    expect((await client.send(new ReportTaskProgressCommand({ taskId: taskObject!.taskId! }))).canceled).toBe(
      true,
    );
    const canceled = await client.send(new DescribeObjectsCommand({ pipelineId: id, objectIds: [inst] }));
    expect(field(canceled.pipelineObjects![0], '@status')).toBe('CANCELED');

    await client.send(new SetStatusCommand({ pipelineId: id, objectIds: [inst], status: 'RERUN' }));
    const rerun = (await client.send(new PollForTaskCommand({ workerGroup: 'wg-ss' }))).taskObject!;
    expect(rerun.attemptId).toBe(`${inst}_Attempt=2`);
    await client.send(new ReportTaskProgressCommand({ taskId: rerun.taskId! }));
    await client.send(new SetTaskStatusCommand({ taskId: rerun.taskId!, taskStatus: 'FINISHED' }));

    const two = (
      await client.send(
        new QueryObjectsCommand({
          pipelineId: id,
          sphere: 'INSTANCE',
          query: {
            selectors: [{ fieldName: '@status', operator: { type: 'EQ', values: ['WAITING_FOR_RUNNER'] } }],
          },
        }),
      )
    ).ids!;
    expect(two).toHaveLength(1);
    await client.send(new SetStatusCommand({ pipelineId: id, objectIds: two, status: 'MARK_FINISHED' }));
    const finished = await client.send(new DescribePipelinesCommand({ pipelineIds: [id] }));
    expect(field(finished.pipelineDescriptionList![0], '@pipelineState')).toBe('FINISHED');
    const closed = await serviceError(() =>
      client.send(new SetStatusCommand({ pipelineId: id, objectIds: [inst], status: 'RERUN' })),
    );
    expect(closed.message).toMatch(/FINISHED/);
  });

  it('deactivation with cancelActive cancels running tasks; re-activation re-runs', async () => {
    const { client } = await emulator({ longPollMs: 100 });
    const id = await pipeline(client);
    await client.send(
      new PutPipelineDefinitionCommand({ pipelineId: id, pipelineObjects: onDemand('wg-deact') }),
    );
    await client.send(new ActivatePipelineCommand({ pipelineId: id }));
    const first = (await client.send(new PollForTaskCommand({ workerGroup: 'wg-deact' }))).taskObject!;
    await client.send(new ReportTaskProgressCommand({ taskId: first.taskId! }));
    await client.send(new DeactivatePipelineCommand({ pipelineId: id }));
    const state = async () =>
      field(
        (await client.send(new DescribePipelinesCommand({ pipelineIds: [id] }))).pipelineDescriptionList![0],
        '@pipelineState',
      );
    expect(await state()).toBe('DEACTIVATING');
    expect((await client.send(new ReportTaskProgressCommand({ taskId: first.taskId! }))).canceled).toBe(true);
    expect(await state()).toBe('INACTIVE');

    await client.send(new ActivatePipelineCommand({ pipelineId: id }));
    expect(await state()).toBe('SCHEDULED');
    const second = (await client.send(new PollForTaskCommand({ workerGroup: 'wg-deact' }))).taskObject!;
    expect(second.attemptId).not.toBe(first.attemptId);
    await client.send(new ReportTaskProgressCommand({ taskId: second.taskId! }));
    // Re-activating a running on-demand pipeline cancels the running object and starts over.
    await client.send(new ActivatePipelineCommand({ pipelineId: id }));
    expect((await client.send(new ReportTaskProgressCommand({ taskId: second.taskId! }))).canceled).toBe(
      true,
    );
    const third = (await client.send(new PollForTaskCommand({ workerGroup: 'wg-deact' }))).taskObject!;
    await client.send(new ReportTaskProgressCommand({ taskId: third.taskId! }));
    await client.send(new SetTaskStatusCommand({ taskId: third.taskId!, taskStatus: 'FINISHED' }));
    expect(await state()).toBe('FINISHED');
    const putAfter = await client.send(
      new PutPipelineDefinitionCommand({ pipelineId: id, pipelineObjects: onDemand('x') }),
    );
    expect(putAfter.errored).toBe(true);
  });
});
