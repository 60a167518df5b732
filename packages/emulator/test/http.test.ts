import {
  ListPipelinesCommand,
  PollForTaskCommand,
  ReportTaskProgressCommand,
} from '@aws-sdk/client-data-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, emulator, rawCall, serviceError } from './helpers.ts';

afterEach(closeAll);

describe('wire protocol', () => {
  it('answers with AWS JSON 1.1 headers', async () => {
    const { emu } = await emulator();
    const r = await rawCall(emu.endpoint, 'DataPipeline.ListPipelines', '{}');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(r.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.json).toEqual({ pipelineIdList: [], hasMoreResults: false });
  });

  it('turns garbage into 400 InvalidRequestException naming the member, and keeps serving', async () => {
    const { emu, client } = await emulator();
    const cases: Array<[string, string, RegExp]> = [
      ['DataPipeline.PollForTask', '{not json', /not valid JSON/],
      ['DataPipeline.PollForTask', '[1,2]', /JSON object/],
      ['DataPipeline.PollForTask', '{}', /'workerGroup'.*must not be null/],
      ['DataPipeline.PollForTask', '{"workerGroup": 42}', /'workerGroup'.*must be a string/],
      [
        'DataPipeline.PollForTask',
        JSON.stringify({ workerGroup: 'x'.repeat(1025) }),
        /'workerGroup'.*less than or equal to 1024/,
      ],
      [
        'DataPipeline.PollForTask',
        JSON.stringify({ workerGroup: 'a\u0001b' }),
        /'workerGroup'.*regular expression/,
      ],
      [
        'DataPipeline.ReportTaskProgress',
        JSON.stringify({ taskId: 't', fields: [{ key: 'k', stringValue: 5 }] }),
        /'fields\[0\]\.stringValue'/,
      ],
      ['DataPipeline.ReportTaskProgress', JSON.stringify({ taskId: 'x'.repeat(2049) }), /'taskId'.*2048/],
      [
        'DataPipeline.SetTaskStatus',
        JSON.stringify({ taskId: 't', taskStatus: 'DONE' }),
        /'taskStatus'.*enum/,
      ],
      [
        'DataPipeline.SetTaskStatus',
        JSON.stringify({ taskId: 't', taskStatus: 'FAILED', errorStackTrace: 'x'.repeat(4096) }),
        /'errorStackTrace'/,
      ],
      [
        'DataPipeline.AddTags',
        JSON.stringify({
          pipelineId: 'p',
          tags: Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: '' })),
        }),
        /'tags'/,
      ],
      [
        'DataPipeline.QueryObjects',
        JSON.stringify({ pipelineId: 'p', sphere: 'INSTANCE', limit: 'ten' }),
        /'limit'.*integer/,
      ],
      [
        'DataPipeline.DescribeObjects',
        JSON.stringify({ pipelineId: 'p', objectIds: 'A' }),
        /'objectIds'.*list/,
      ],
      [
        'DataPipeline.DeactivatePipeline',
        JSON.stringify({ pipelineId: 'p', cancelActive: 'yes' }),
        /'cancelActive'.*boolean/,
      ],
    ];
    for (const [target, body, message] of cases) {
      const r = await rawCall(emu.endpoint, target, body);
      expect(r.status, body.slice(0, 60)).toBe(400);
      expect(r.json.__type).toBe('InvalidRequestException');
      expect(r.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
      expect(r.json.message, body.slice(0, 60)).toMatch(message);
    }
    expect((await client.send(new ListPipelinesCommand({}))).pipelineIdList).toEqual([]);
  });

  it('rejects unknown targets and non-AWS requests clearly', async () => {
    const { emu } = await emulator();
    const unknown = await rawCall(emu.endpoint, 'DataPipeline.MakeCoffee', '{}');
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ __type: 'UnknownOperationException' });
    expect(unknown.json.message).toContain('MakeCoffee');
    const missing = await rawCall(emu.endpoint, undefined, '{}');
    expect(missing.json.message).toContain('X-Amz-Target');
    const foreign = await rawCall(emu.endpoint, 'DynamoDB_20120810.ListTables', '{}');
    expect(foreign.json.__type).toBe('UnknownOperationException');
    const get = await fetch(`${emu.endpoint}/`);
    expect(get.status).toBe(400);
    expect(((await get.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    expect(emu.control.observations().requests.MakeCoffee).toBeUndefined();
  });

  it('refuses an oversize body without buffering it', async () => {
    const { emu } = await emulator();
    const huge = JSON.stringify({ pipelineId: 'p', objectId: 'o', expression: 'x'.repeat(22 * 1024 * 1024) });
    const r = await rawCall(emu.endpoint, 'DataPipeline.EvaluateExpression', huge);
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/exceeds/);
    expect((await rawCall(emu.endpoint, 'DataPipeline.ListPipelines', '{}')).status).toBe(200);
  });
});

describe('faults', () => {
  it('injects internal errors for the next N matching calls', async () => {
    const { emu, client } = await emulator();
    emu.control.injectFault({ operation: 'ListPipelines', kind: 'internal-error', count: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await serviceError(() => client.send(new ListPipelinesCommand({})));
      expect(err.name).toBe('InternalServiceError');
      expect(err.$metadata.httpStatusCode).toBe(500);
    }
    expect((await client.send(new ListPipelinesCommand({}))).pipelineIdList).toEqual([]);
    expect(emu.control.observations().requests.ListPipelines).toBe(3);
  });

  it('throttles with 400 ThrottlingException "Rate exceeded" until cleared', async () => {
    const { emu, client } = await emulator();
    emu.control.injectFault({ kind: 'throttle' });
    const err = await serviceError(() => client.send(new PollForTaskCommand({ workerGroup: 'wg' })));
    expect(err.name).toBe('ThrottlingException');
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata.httpStatusCode).toBe(400);
    emu.control.clearFaults();
    expect((await client.send(new ListPipelinesCommand({}))).hasMoreResults).toBe(false);
  });

  it('adds latency', async () => {
    const { emu, client } = await emulator();
    emu.control.injectFault({ operation: 'ListPipelines', kind: 'latency', latencyMs: 200, count: 1 });
    const t0 = Date.now();
    await client.send(new ListPipelinesCommand({}));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    const t1 = Date.now();
    await client.send(new ListPipelinesCommand({}));
    expect(Date.now() - t1).toBeLessThan(150);
  });

  it('drops the connection; dropping a poll answer leaves the task handed out until its lease expires', async () => {
    const { emu, client } = await emulator({ ackTimeoutMs: 100, timeScale: 100 });
    emu.control.injectFault({ operation: 'ListPipelines', kind: 'drop', count: 1 });
    const dropped = await serviceError(() => client.send(new ListPipelinesCommand({})));
    expect(dropped.$metadata.httpStatusCode).toBeUndefined();
    const ref = emu.control.enqueueTask({ workerGroup: 'wg', maximumRetries: 1, retryDelay: '1 second' });
    emu.control.injectFault({ operation: 'PollForTask', kind: 'drop', when: 'after', count: 1 });
    await serviceError(() => client.send(new PollForTaskCommand({ workerGroup: 'wg' })));
    expect(emu.control.task(ref.taskId)!.handouts).toBe(1);
    await emu.control.waitFor((o) => o.tasks[ref.taskId]?.terminalStatus === 'TIMEDOUT', 3000);
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    expect(taskObject?.attemptId).toBe(ref.attemptId.replace(/Attempt=1$/, 'Attempt=2'));
  });

  it('honours probability and rejects bad fault specs', async () => {
    let i = 0;
    const { startEmulator } = await import('../src/index.ts');
    const emu = await startEmulator({}, { random: () => [0.1, 0.9][i++ % 2]! });
    try {
      emu.control.injectFault({ kind: 'internal-error', probability: 0.5 });
      const codes: number[] = [];
      for (let n = 0; n < 4; n++)
        codes.push((await rawCall(emu.endpoint, 'DataPipeline.ListPipelines', '{}')).status);
      expect(codes).toEqual([500, 200, 500, 200]);
      expect(() => emu.control.injectFault({ kind: 'explode' as never })).toThrow(
        expect.objectContaining({ code: 'EMU_INVALID_SPEC' }),
      );
      expect(() => emu.control.injectFault({ kind: 'latency' })).toThrow(/latencyMs/);
    } finally {
      await emu.close();
    }
  });
});

describe('control API over HTTP', () => {
  it('enqueues, observes, cancels, terminates, injects faults and resets', async () => {
    const { emu, client } = await emulator();
    const post = async (path: string, body?: unknown, method = 'POST') => {
      const res = await fetch(`${emu.endpoint}/_tasklane/${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    const ref = (await post('enqueue', { workerGroup: 'http', fields: { command: 'x' } })).json;
    expect(ref.taskId).toBeTruthy();
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'http' }));
    expect(taskObject?.taskId).toBe(ref.taskId);
    expect((await post('cancel', { taskId: ref.taskId })).status).toBe(200);
    expect((await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }))).canceled).toBe(true);
    const task = await fetch(`${emu.endpoint}/_tasklane/tasks/${encodeURIComponent(ref.taskId)}`);
    expect((await task.json()).canceled).toBe(true);
    expect((await post('terminate', {})).status).toBe(200);
    expect((await post('faults', { kind: 'throttle', count: 1 })).status).toBe(200);
    expect((await rawCall(emu.endpoint, 'DataPipeline.ListPipelines', '{}')).json.__type).toBe(
      'ThrottlingException',
    );
    expect((await post('faults', undefined, 'DELETE')).status).toBe(200);
    const obs = (await post('observations', undefined, 'GET')).json;
    expect(obs.groups.http.tasksHandedOut).toBe(1);
    expect(obs.requests.PollForTask).toBe(1);
    expect((await post('reset')).status).toBe(200);
    expect(emu.control.observations().tasks).toEqual({});
    const bad = await post('enqueue', { fields: {} });
    expect(bad).toMatchObject({ status: 400, json: { error: 'EMU_INVALID_SPEC' } });
    const unknownRoute = await post('nope');
    expect(unknownRoute).toMatchObject({ status: 404, json: { error: 'EMU_NOT_FOUND' } });
    const garbage = await fetch(`${emu.endpoint}/_tasklane/enqueue`, { method: 'POST', body: '{{' });
    expect(garbage.status).toBe(400);
  });
});
