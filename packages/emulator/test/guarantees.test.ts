import {
  CreatePipelineCommand,
  EvaluateExpressionCommand,
  PollForTaskCommand,
  PutPipelineDefinitionCommand,
  ReportTaskProgressCommand,
  ReportTaskRunnerHeartbeatCommand,
  SetTaskStatusCommand,
} from '@aws-sdk/client-data-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { longTimeout, MAX_TIMER_MS } from '../src/clock.ts';
import { closeAll, emulator, objects, serviceError, sleep } from './helpers.ts';

afterEach(closeAll);

async function runningTask(opts: Parameters<typeof emulator>[0] = {}, attemptTimeout?: string) {
  const { emu, client } = await emulator(opts);
  const ref = emu.control.enqueueTask({
    workerGroup: 'wg',
    ...(attemptTimeout === undefined ? {} : { attemptTimeout }),
  });
  await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
  await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }));
  return { emu, client, ref };
}

describe('SetTaskStatus enforces the model shapes', () => {
  it('rejects an errorStackTrace or errorId over 1024 characters with InvalidRequestException', async () => {
    const { emu, client, ref } = await runningTask();
    for (const extra of [{ errorStackTrace: 'x'.repeat(1025) }, { errorId: 'E'.repeat(1025) }]) {
      const err = await serviceError(() =>
        client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FAILED', ...extra })),
      );
      expect(err.name).toBe('InvalidRequestException');
      expect(err.message).toMatch(/length less than or equal to 1024/);
    }
    // Rejected calls leave the task open; the model's maximum itself is accepted.
    await client.send(
      new SetTaskStatusCommand({
        taskId: ref.taskId,
        taskStatus: 'FAILED',
        errorId: 'E'.repeat(1024),
        errorStackTrace: 's'.repeat(1024),
        errorMessage: 'm'.repeat(5000),
      }),
    );
    expect(emu.control.task(ref.taskId)).toMatchObject({ terminalStatus: 'FAILED' });
  });

  it('rejects control characters that pattern P forbids (an ANSI colour code)', async () => {
    const { client, ref } = await runningTask();
    const err = await serviceError(() =>
      client.send(
        new SetTaskStatusCommand({
          taskId: ref.taskId,
          taskStatus: 'FAILED',
          errorStackTrace: 'boom \u001b[31mred\u001b[0m',
        }),
      ),
    );
    expect(err.name).toBe('InvalidRequestException');
    expect(err.message).toMatch(/'errorStackTrace'.*regular expression/);
  });
});

describe('expression scanning is linear', () => {
  it('answers EvaluateExpression on "#{" and 20 000 spaces at once', async () => {
    const { client } = await emulator();
    const { pipelineId } = await client.send(new CreatePipelineCommand({ name: 'e', uniqueId: 'e' }));
    await client.send(
      new PutPipelineDefinitionCommand({
        pipelineId,
        pipelineObjects: objects({ id: 'Default', scheduleType: 'ondemand' }),
      }),
    );
    const t0 = Date.now();
    const err = await serviceError(() =>
      client.send(
        new EvaluateExpressionCommand({
          pipelineId,
          objectId: 'Default',
          expression: `#{${' '.repeat(20_000)}`,
        }),
      ),
    );
    expect(err.name).toBe('InvalidRequestException');
    expect(err.message).toMatch(/Unterminated expression/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('validates a definition whose fields hold unterminated expressions without stalling', async () => {
    const { client } = await emulator();
    const { pipelineId } = await client.send(new CreatePipelineCommand({ name: 'a', uniqueId: 'a' }));
    const t0 = Date.now();
    const r = await client.send(
      new PutPipelineDefinitionCommand({
        pipelineId,
        pipelineObjects: objects(
          { id: 'Default', scheduleType: 'ondemand' },
          {
            id: 'A',
            type: 'ShellCommandActivity',
            workerGroup: 'wg',
            command: `echo #{${' '.repeat(10_000)}`,
          },
        ),
      }),
    );
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(r.errored).toBe(true);
    expect(r.validationErrors?.[0]?.errors?.[0]).toMatch(/unterminated expression/);
  });
});

describe('observation maps stay bounded', () => {
  it('forgets ended tasks beyond maxEndedTasks and after the retention', async () => {
    const { emu, client } = await emulator({ maxEndedTasks: 3, observationRetentionMs: 400 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ref = emu.control.enqueueTask({ workerGroup: 'wg' });
      ids.push(ref.taskId);
      await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
      await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }));
      await client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FINISHED' }));
    }
    let o = emu.control.observations();
    expect(Object.keys(o.tasks)).toEqual(ids.slice(2));
    expect(Object.keys(o.attempts)).toHaveLength(3);
    // A forgotten task is unknown to the service as well.
    const err = await serviceError(() => client.send(new ReportTaskProgressCommand({ taskId: ids[0]! })));
    expect(err.name).toBe('TaskNotFoundException');
    await sleep(500);
    const last = emu.control.enqueueTask({ workerGroup: 'wg' });
    emu.control.cancelTask(last.taskId);
    o = emu.control.observations();
    expect(Object.keys(o.tasks)).toEqual([last.taskId]);
  });

  it('forgets runners that stopped heartbeating and worker groups idle for longer than the retention', async () => {
    const { emu, client } = await emulator({ longPollMs: 0, observationRetentionMs: 300 });
    await client.send(new ReportTaskRunnerHeartbeatCommand({ taskrunnerId: 'old', workerGroup: 'g1' }));
    await client.send(new PollForTaskCommand({ workerGroup: 'g1' }));
    await sleep(400);
    await client.send(new ReportTaskRunnerHeartbeatCommand({ taskrunnerId: 'new', workerGroup: 'g2' }));
    await client.send(new PollForTaskCommand({ workerGroup: 'g2' }));
    const o = emu.control.observations();
    expect(Object.keys(o.heartbeats)).toEqual(['new']);
    expect(Object.keys(o.groups)).toEqual(['g2']);
  });
});

describe('timers beyond 2^31 ms', () => {
  it('does not fire a 30-day retryDelay at once', async () => {
    const { emu, client } = await emulator({ longPollMs: 0 });
    const ref = emu.control.enqueueTask({ workerGroup: 'wg', retryDelay: '30 days', maximumRetries: 1 });
    expect(30 * 86_400_000).toBeGreaterThan(MAX_TIMER_MS);
    await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    await client.send(new ReportTaskProgressCommand({ taskId: ref.taskId }));
    await client.send(new SetTaskStatusCommand({ taskId: ref.taskId, taskStatus: 'FAILED' }));
    await sleep(300);
    const r = await client.send(new PollForTaskCommand({ workerGroup: 'wg' }));
    expect(r.taskObject).toBeUndefined();
    expect(Object.keys(emu.control.observations().attempts)).toEqual([ref.attemptId]);
  });

  it('re-arms a long delay in chunks and fires once, at the due time', async () => {
    let fired = 0;
    const t0 = Date.now();
    let firedAt = 0;
    longTimeout(
      () => {
        fired++;
        firedAt = Date.now() - t0;
      },
      120,
      25,
    );
    await sleep(60);
    expect(fired).toBe(0);
    await sleep(400);
    expect(fired).toBe(1);
    expect(firedAt).toBeGreaterThanOrEqual(115);
    const canceled = longTimeout(() => fired++, 60, 20);
    await sleep(30);
    canceled.cancel();
    await sleep(100);
    expect(fired).toBe(1);
  });
});
