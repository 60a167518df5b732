import {
  PollForTaskCommand,
  ReportTaskProgressCommand,
  ReportTaskRunnerHeartbeatCommand,
  SetTaskStatusCommand,
  DescribeObjectsCommand,
} from '@aws-sdk/client-data-pipeline';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, emulator, field, serviceError, sleep } from './helpers.ts';

afterEach(closeAll);

describe('PollForTask', () => {
  it('returns a queued task at once with the merged attempt object', async () => {
    const { emu, client } = await emulator();
    const ref = emu.control.enqueueTask({
      workerGroup: 'wg',
      fields: { command: 'echo hi', scriptArgument: ['a', 'b'], input: { ref: 'In' } },
    });
    const { taskObject } = await client.send(
      new PollForTaskCommand({ workerGroup: 'wg', hostname: 'host-1' }),
    );
    expect(taskObject?.taskId).toBe(ref.taskId);
    expect(taskObject?.taskId?.length).toBeGreaterThan(200);
    expect(taskObject?.pipelineId).toMatch(/^df-[A-Z0-9]{20}$/);
    expect(taskObject?.attemptId).toMatch(/^@EnqueuedTask_1_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d_Attempt=1$/);
    const obj = taskObject!.objects![taskObject!.attemptId!]!;
    expect(Object.keys(taskObject!.objects!)).toEqual([ref.attemptId]);
    expect(obj.id).toBe(ref.attemptId);
    expect(field(obj, 'command')).toBe('echo hi');
    expect(obj.fields!.filter((f) => f.key === 'scriptArgument').map((f) => f.stringValue)).toEqual([
      'a',
      'b',
    ]);
    expect(obj.fields!.find((f) => f.key === 'input')).toEqual({ key: 'input', refValue: 'In' });
    expect(field(obj, '@sphere')).toBe('ATTEMPT');
    expect(field(obj, '@status')).toBe('WAITING_FOR_RUNNER');
    expect(field(obj, 'type')).toBe('ShellCommandActivity');
    expect(field(obj, 'workerGroup')).toBe('wg');
    expect(field(obj, '@componentParent')).toBe(ref.objectId);
    expect(field(obj, '@instanceParent')).toBe(ref.attemptId.replace(/_Attempt=1$/, ''));
    expect(field(obj, '@attemptCount')).toBe('1');
    expect(field(obj, '@scheduledStartTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const t = emu.control.task(ref.taskId)!;
    expect(t.handouts).toBe(1);
    expect(t.hostname).toBe('host-1');
  });

  it('holds an idle poll for longPollMs and answers without a task', async () => {
    const { emu, client } = await emulator({ longPollMs: 400 });
    const t0 = Date.now();
    const r = await client.send(new PollForTaskCommand({ workerGroup: 'idle' }));
    const took = Date.now() - t0;
    expect(r.taskObject).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(380);
    expect(took).toBeLessThan(2000);
    expect(emu.control.observations().groups.idle).toMatchObject({
      polls: 1,
      emptyPolls: 1,
      inFlightPolls: 0,
    });
  });

  it('wakes a held poll as soon as a task is enqueued', async () => {
    const { emu, client } = await emulator({ longPollMs: 10_000 });
    const t0 = Date.now();
    const pending = client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    await emu.control.waitFor((o) => o.groups.wg?.inFlightPolls === 1, 2000);
    const ref = emu.control.enqueueTask({ workerGroup: 'wg', fields: { command: 'x' } });
    const r = await pending;
    expect(r.taskObject?.taskId).toBe(ref.taskId);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('counts concurrent polls per worker group exactly', async () => {
    const { emu, client } = await emulator({ longPollMs: 10_000 });
    const polls = [1, 2, 3].map(() => client.send(new PollForTaskCommand({ workerGroup: 'multi' })));
    const other = client.send(new PollForTaskCommand({ workerGroup: 'single' }));
    const o = await emu.control.waitFor(
      (x) => x.groups.multi?.inFlightPolls === 3 && x.groups.single?.inFlightPolls === 1,
      3000,
    );
    expect(o.groups.multi!.maxInFlightPolls).toBe(3);
    expect(o.groups.single!.maxInFlightPolls).toBe(1);
    const refs = [1, 2, 3].map(() =>
      emu.control.enqueueTask({ workerGroup: 'multi', fields: { command: 'x' } }),
    );
    const got = (await Promise.all(polls)).map((r) => r.taskObject?.taskId).sort();
    expect(got).toEqual(refs.map((r) => r.taskId).sort());
    emu.control.enqueueTask({ workerGroup: 'single', fields: { command: 'y' } });
    await other;
    const after = await emu.control.waitFor(
      (x) => x.groups.multi?.inFlightPolls === 0 && x.groups.single?.inFlightPolls === 0,
    );
    expect(after.groups.multi).toMatchObject({ polls: 3, tasksHandedOut: 3, maxInFlightPolls: 3 });
  });

  it('forgets a poll whose client disconnected and gives the task to the next poll', async () => {
    const { emu, client } = await emulator({ longPollMs: 10_000 });
    const url = new URL(emu.endpoint);
    const req = request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/',
      headers: { 'x-amz-target': 'DataPipeline.PollForTask', 'content-type': 'application/x-amz-json-1.1' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ workerGroup: 'drop' }));
    await emu.control.waitFor((o) => o.groups.drop?.inFlightPolls === 1, 2000);
    req.destroy();
    await emu.control.waitFor((o) => o.groups.drop?.inFlightPolls === 0, 2000);
    const ref = emu.control.enqueueTask({ workerGroup: 'drop', fields: { command: 'x' } });
    expect(emu.control.task(ref.taskId)!.handouts).toBe(0);
    const r = await client.send(new PollForTaskCommand({ workerGroup: 'drop' }));
    expect(r.taskObject?.taskId).toBe(ref.taskId);
    expect(emu.control.observations().attempts[ref.attemptId]!.handouts).toBe(1);
  });

  it('rejects an empty workerGroup', async () => {
    const { client } = await emulator();
    const err = await serviceError(() => client.send(new PollForTaskCommand({ workerGroup: '' })));
    expect(err.name).toBe('InvalidRequestException');
    expect(err.message).toContain('workerGroup');
  });
});

describe('task lifecycle', () => {
  it('acks, reports progress, finishes, and exposes error fields on the attempt', async () => {
    const { emu, client } = await emulator();
    const ref = emu.control.enqueueTask({ workerGroup: 'wg', maximumRetries: 0 });
    await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    expect((await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }))).canceled).toBe(false);
    await client.send(
      new ReportTaskProgressCommand({
        taskId: ref.taskId,
        fields: [{ key: 'percentComplete', stringValue: '50' }],
      }),
    );
    await client.send(
      new SetTaskStatusCommand({
        taskId: ref.taskId,
        taskStatus: 'FAILED',
        errorId: 'MyError',
        errorMessage: 'boom',
        errorStackTrace: 'at x\n\tat y',
      }),
    );
    const t = emu.control.task(ref.taskId)!;
    expect(t).toMatchObject({
      acks: 1,
      progressReports: 2,
      terminalStatus: 'FAILED',
      errorId: 'MyError',
      errorMessage: 'boom',
      canceled: false,
    });
    expect(t.lastProgressFields).toEqual({ percentComplete: '50' });
    const d = await client.send(
      new DescribeObjectsCommand({ pipelineId: ref.pipelineId, objectIds: [ref.attemptId] }),
    );
    const att = d.pipelineObjects![0];
    expect(field(att, 'errorId')).toBe('MyError');
    expect(field(att, 'errorMessage')).toBe('boom');
    expect(field(att, 'errorStackTrace')).toBe('at x\n\tat y');
    expect(field(att, '@status')).toBe('FAILED');
    expect(emu.control.observations().violations).toEqual([]);
  });

  it('rejects an errorId starting with Service_', async () => {
    const { emu, client } = await emulator();
    const ref = emu.control.enqueueTask({ workerGroup: 'wg' });
    await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }));
    const err = await serviceError(() =>
      client.send(
        new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FAILED', errorId: 'Service_Oops' }),
      ),
    );
    expect(err.name).toBe('InvalidRequestException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toContain('errorId');
    // The task is still open: a proper status goes through.
    await client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FINISHED' }));
    expect(emu.control.task(ref.taskId)!.terminalStatus).toBe('FINISHED');
  });

  it('answers TaskNotFoundException for unknown and closed tasks and records violations', async () => {
    const { emu, client } = await emulator();
    const unknown = await serviceError(() =>
      client.send(new ReportTaskProgressCommand({ taskId: 'no-such-task' })),
    );
    expect(unknown.name).toBe('TaskNotFoundException');
    expect(unknown.$metadata.httpStatusCode).toBe(400);
    const ref = emu.control.enqueueTask({ workerGroup: 'wg' });
    await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    await client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FINISHED' }));
    const dup = await serviceError(() =>
      client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FINISHED' })),
    );
    expect(dup.name).toBe('TaskNotFoundException');
    const late = await serviceError(() => client.send(new ReportTaskProgressCommand({ taskId: ref.taskId })));
    expect(late.name).toBe('TaskNotFoundException');
    expect(emu.control.observations().violations.map((v) => v.kind)).toEqual([
      'status-before-ack',
      'duplicate-set-task-status',
      'report-after-terminal',
    ]);
  });

  it('times out an unacknowledged task and offers a new attempt', async () => {
    const { emu, client } = await emulator({ ackTimeoutMs: 150, timeScale: 6000 });
    const ref = emu.control.enqueueTask({ workerGroup: 'wg', maximumRetries: 1, retryDelay: '1 minute' });
    const first = await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    expect(first.taskObject?.attemptId).toBe(ref.attemptId);
    const t0 = Date.now();
    const second = await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    const second2 =
      second.taskObject ?? (await client.send(new PollForTaskCommand({ workerGroup: 'wg' }))).taskObject;
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(second2?.attemptId).toBe(ref.attemptId.replace(/Attempt=1$/, 'Attempt=2'));
    expect(second2?.taskId).not.toBe(ref.taskId);
    expect(emu.control.task(ref.taskId)!.terminalStatus).toBe('TIMEDOUT');
    const late = await serviceError(() => client.send(new ReportTaskProgressCommand({ taskId: ref.taskId })));
    expect(late.name).toBe('TaskNotFoundException');
    const o = emu.control.observations();
    expect(o.violations.map((v) => v.kind)).toEqual(['ack-after-deadline']);
    expect(o.attempts[ref.attemptId]).toMatchObject({ handouts: 1, status: 'TIMEDOUT' });
  });

  it('expires a lease when progress stops (reportProgressTimeout) and fails after retries are exhausted', async () => {
    const { emu, client } = await emulator({ timeScale: 600 });
    // 30 s of service time is 50 ms here; no retries left after the single attempt.
    const ref = emu.control.enqueueTask({
      workerGroup: 'wg',
      maximumRetries: 0,
      reportProgressTimeout: '30 seconds',
    });
    await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }));
    await emu.control.waitFor((o) => o.tasks[ref.taskId]?.terminalStatus === 'TIMEDOUT', 3000);
    const d = await client.send(
      new DescribeObjectsCommand({
        pipelineId: ref.pipelineId,
        objectIds: [ref.attemptId.replace(/_Attempt=1$/, '')],
      }),
    );
    expect(field(d.pipelineObjects![0], '@status')).toBe('FAILED');
    expect(field(d.pipelineObjects![0], '@attemptCount')).toBe('1');
    const late = await serviceError(() =>
      client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FINISHED' })),
    );
    expect(late.name).toBe('TaskNotFoundException');
    expect(emu.control.observations().violations.map((v) => v.kind)).toEqual(['status-after-expiry']);
  });

  it('retries a FAILED attempt after retryDelay until maximumRetries, then fails the instance', async () => {
    const { emu, client } = await emulator({ timeScale: 6000, longPollMs: 300 });
    const ref = emu.control.enqueueTask({ workerGroup: 'wg', maximumRetries: 2, retryDelay: '2 minutes' });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
      seen.push(taskObject!.attemptId!);
      await client.send(new ReportTaskProgressCommand({ taskId: taskObject!.taskId! }));
      await client.send(
        new SetTaskStatusCommand({
          taskId: taskObject!.taskId!,
          taskStatus: 'FAILED',
          errorMessage: `fail ${i}`,
        }),
      );
    }
    expect(seen.map((a) => a.slice(-9))).toEqual(['Attempt=1', 'Attempt=2', 'Attempt=3']);
    const idle = await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    expect(idle.taskObject).toBeUndefined();
    const inst = await client.send(
      new DescribeObjectsCommand({
        pipelineId: ref.pipelineId,
        objectIds: [seen[0]!.replace(/_Attempt=1$/, '')],
      }),
    );
    expect(field(inst.pipelineObjects![0], '@status')).toBe('FAILED');
    expect(field(inst.pipelineObjects![0], '@attemptCount')).toBe('3');
  });

  it('cancels a running task through its next ReportTaskProgress', async () => {
    const { emu, client } = await emulator();
    const ref = emu.control.enqueueTask({ workerGroup: 'wg' });
    await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    expect((await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }))).canceled).toBe(false);
    emu.control.cancelTask(ref.taskId);
    expect((await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }))).canceled).toBe(true);
    expect((await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }))).canceled).toBe(true);
    await client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FINISHED' }));
    const t = emu.control.task(ref.taskId)!;
    expect(t.canceled).toBe(true);
    expect(t.terminalStatus).toBe('CANCELED');
    expect(emu.control.observations().violations.map((v) => v.kind)).toEqual(['finished-after-cancel']);
  });

  it('cancels a queued task before anyone polls it', async () => {
    const { emu, client } = await emulator({ longPollMs: 100 });
    const ref = emu.control.enqueueTask({ workerGroup: 'wg' });
    emu.control.cancelTask(ref.taskId);
    expect((await client.send(new PollForTaskCommand({ workerGroup: 'wg' }))).taskObject).toBeUndefined();
    expect(emu.control.task(ref.taskId)).toMatchObject({
      canceled: true,
      terminalStatus: 'CANCELED',
      handouts: 0,
    });
    expect(() => emu.control.cancelTask('nope')).toThrow(
      expect.objectContaining({ code: 'EMU_UNKNOWN_TASK' }),
    );
  });

  it('tells runners to terminate through their heartbeat', async () => {
    const { emu, client } = await emulator();
    const beat = async (id: string) =>
      (
        await client.send(
          new ReportTaskRunnerHeartbeatCommand({ taskrunnerId: id, workerGroup: 'wg', hostname: 'h' }),
        )
      ).terminate;
    expect(await beat('r1')).toBe(false);
    expect(await beat('r2')).toBe(false);
    emu.control.requestTerminate('r1');
    expect(await beat('r2')).toBe(false);
    expect(await beat('r1')).toBe(true);
    expect(await beat('r1')).toBe(false);
    emu.control.requestTerminate();
    expect(await beat('r1')).toBe(true);
    expect(await beat('r2')).toBe(true);
    expect(await beat('r2')).toBe(false);
    const h = emu.control.observations().heartbeats;
    expect(h.r1).toMatchObject({ count: 4, workerGroup: 'wg', hostname: 'h' });
    expect(h.r2!.count).toBe(4);
  });

  it('waitFor rejects on timeout with a stable code', async () => {
    const { emu } = await emulator();
    await expect(emu.control.waitFor(() => false, 50)).rejects.toMatchObject({ code: 'EMU_WAIT_TIMEOUT' });
  });

  it('close() answers held polls with no task', async () => {
    const { emu, client } = await emulator({ longPollMs: 60_000 });
    const pending = client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    await emu.control.waitFor((o) => o.groups.wg?.inFlightPolls === 1, 2000);
    const t0 = Date.now();
    await emu.close();
    expect((await pending).taskObject).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(2000);
    await sleep(0);
  });
});
