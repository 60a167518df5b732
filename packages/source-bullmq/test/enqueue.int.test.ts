import { TaskHandler, type Task } from '@tasklane/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BullMQErrorCode, enqueueJobs, jobsFromDefinition } from '../src/index.ts';
import { redisForFile, startBullHarness, type BullHarness } from './helpers.ts';

const redis = redisForFile();
beforeAll(() => redis.start());
afterAll(() => redis.stop());

let harness: BullHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const ran: string[] = [];
const Step = TaskHandler('StepActivity')(
  class {
    async handle(task: Task) {
      await new Promise((r) => setTimeout(r, 20));
      if (task.get('fail') === 'yes') throw new Error(`step ${task.get('step')} failed`);
      ran.push(task.require('step'));
    }
  },
);

function step(id: string, dependsOn: string[] = [], extra: Record<string, string> = {}) {
  return {
    id,
    name: id,
    type: 'StepActivity',
    parent: { ref: 'Default' },
    step: id,
    ...extra,
    ...(dependsOn.length ? { dependsOn: dependsOn.map((ref) => ({ ref })) } : {}),
  };
}
const Default = { id: 'Default', name: 'Default', maximumRetries: '0', retryDelay: '1 seconds' };

describe('enqueueJobs', () => {
  it('adds plain jobs in bulk and returns their ids in order', async () => {
    ran.length = 0;
    harness = await startBullHarness(redis.get(), [Step]);
    const result = await enqueueJobs({
      url: redis.get().url,
      queue: harness.queueName,
      jobs: [
        { name: 'StepActivity', data: { step: 'one' } },
        { name: 'StepActivity', data: { step: 'two' }, opts: { jobId: 'custom-2' } },
      ],
    });
    expect(result.total).toBe(2);
    expect(result.jobIds[1]).toBe('custom-2');
    await Promise.all(result.jobIds.map((id) => harness!.settled(id)));
    expect(ran.sort()).toEqual(['one', 'two']);
  });

  it('runs a definition as a BullMQ flow: dependencies first, the dependent after all of them', async () => {
    ran.length = 0;
    harness = await startBullHarness(redis.get(), [Step], { concurrency: 4 });
    const jobs = jobsFromDefinition({
      objects: [
        Default,
        step('Extract'),
        step('Audit'),
        step('Transform', ['Extract']),
        step('Load', ['Transform', 'Audit']),
      ],
    });
    const { jobIds } = await enqueueJobs({ url: redis.get().url, queue: harness.queueName, jobs });
    const root = await harness.settled(jobIds[0]!);
    expect(await root.getState()).toBe('completed');
    expect(ran).toHaveLength(4);
    expect(ran.at(-1)).toBe('Load');
    expect(ran.indexOf('Extract')).toBeLessThan(ran.indexOf('Transform'));
  });

  it('cascades a failed dependency to its dependents (like CASCADE_FAILED)', async () => {
    ran.length = 0;
    harness = await startBullHarness(redis.get(), [Step]);
    const jobs = jobsFromDefinition({
      objects: [Default, step('Extract', [], { fail: 'yes' }), step('Load', ['Extract'])],
    });
    const { jobIds } = await enqueueJobs({ url: redis.get().url, queue: harness.queueName, jobs });
    const root = await harness.settled(jobIds[0]!);
    expect(await root.getState()).toBe('failed');
    expect(ran).toEqual([]);
  });

  it('validates every spec before adding anything', async () => {
    const url = redis.get().url;
    await expect(
      enqueueJobs({ url, queue: 'q', jobs: [{ name: 'A', data: {} }, { name: '' }] }),
    ).rejects.toMatchObject({ code: BullMQErrorCode.InvalidJob });
    await expect(
      enqueueJobs({ url, queue: 'q', jobs: [{ name: 'A', data: [] as unknown }] }),
    ).rejects.toMatchObject({ code: BullMQErrorCode.InvalidJob });
    await expect(enqueueJobs({ url, queue: '', jobs: [] })).rejects.toMatchObject({
      code: BullMQErrorCode.InvalidJob,
    });
  });
});
