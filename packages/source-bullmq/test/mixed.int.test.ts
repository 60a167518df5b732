import { TaskHandler, type Task } from '@tasklane/core';
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { emulatorSource } from '@tasklane/test-utils/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForFile, startBullHarness } from './helpers.ts';

const redis = redisForFile();
let emulator: Emulator;
beforeAll(async () => {
  await redis.start();
  emulator = await startEmulator({ port: 0, longPollMs: 500 });
});
afterAll(async () => {
  await emulator?.close();
  await redis.stop();
});

describe('one runner, two sources', () => {
  it('serves a Data Pipeline worker group and a BullMQ queue with the same handler class at the same time', async () => {
    const seen: Array<{ group: string; source: string; id: string }> = [];
    const Echo = TaskHandler('EchoActivity')(
      class {
        async handle(task: Task) {
          await new Promise((r) => setTimeout(r, 10));
          seen.push({
            group: task.pipelineId,
            source: task.attemptId.includes('#') ? 'bullmq' : 'datapipeline',
            id: task.require('id'),
          });
        }
      },
    );
    const group = `wg-mixed-${process.pid}`;
    const dp = emulatorSource(emulator.endpoint, { taskrunnerId: 'mixed-1' });
    const harness = await startBullHarness(redis.get(), [Echo], {
      extraSources: [{ source: dp, groups: [group] }],
    });
    try {
      const dpTasks = Array.from({ length: 3 }, (_, i) =>
        emulator.control.enqueueTask({ workerGroup: group, type: 'EchoActivity', fields: { id: `dp-${i}` } }),
      );
      const jobs = await harness.queue.addBulk(
        Array.from({ length: 3 }, (_, i) => ({ name: 'EchoActivity', data: { id: `bull-${i}` } })),
      );
      await Promise.all(jobs.map((j) => harness.settled(j.id!)));
      await emulator.control.waitFor(
        (o) => dpTasks.every((t) => o.tasks[t.taskId]?.terminalStatus !== undefined),
        15_000,
      );
      for (const t of dpTasks) expect(emulator.control.task(t.taskId)?.terminalStatus).toBe('FINISHED');
      expect(
        seen
          .filter((s) => s.source === 'bullmq')
          .map((s) => s.id)
          .sort(),
      ).toEqual(['bull-0', 'bull-1', 'bull-2']);
      expect(
        seen
          .filter((s) => s.source === 'datapipeline')
          .map((s) => s.id)
          .sort(),
      ).toEqual(['dp-0', 'dp-1', 'dp-2']);
      expect(await harness.queue.getCompletedCount()).toBe(3);
    } finally {
      await harness.close();
    }
  });
});
