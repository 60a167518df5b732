import { TaskHandler, type Task } from '@tasklane/core';
import { describe, expect, it } from 'vitest';
import { currentRuntime, expectedRuntime, runningOn, startHarness } from '../src/harness/index.ts';

const seen: string[] = [];
const Echo = TaskHandler('HarnessEcho')(
  class {
    handle(task: Task) {
      seen.push(task.require('word'));
    }
  },
);

describe('startHarness', () => {
  it('serves the emulator through the real SDK client and closes what it started', async () => {
    const h = await startHarness({ handlers: [Echo] });
    try {
      const { taskId } = h.enqueue('HarnessEcho', { word: 'hi' });
      expect((await h.waitForTask(taskId)).terminalStatus).toBe('FINISHED');
      expect(seen).toEqual(['hi']);
      expect(h.runner.registry).toBe(h.registry);
    } finally {
      await h.close();
      await h.close();
    }
  });

  it('passes runner options through and can leave the runner to the test', async () => {
    const ended: string[] = [];
    const h = await startHarness({
      handlers: [Echo],
      start: false,
      hooks: [{ onTaskEnd: (end) => void ended.push(end.task.taskId) }],
    });
    try {
      const { taskId } = h.enqueue('HarnessEcho', { word: 'later' });
      await h.runner.start();
      expect((await h.waitForTask(taskId)).terminalStatus).toBe('FINISHED');
      // The hook runs once the status is reported, which is when the emulator already saw it.
      await expect.poll(() => ended).toEqual([taskId]);
    } finally {
      await h.close();
    }
  });

  it("reports the runner's own identity to the service", async () => {
    const h = await startHarness({ handlers: [Echo], hostname: 'harness-host', taskrunnerId: 'harness-1' });
    try {
      const { taskId } = h.enqueue('HarnessEcho', { word: 'who' });
      expect((await h.waitForTask(taskId)).hostname).toBe('harness-host');
    } finally {
      await h.close();
    }
  });

  it('hands the runner the primitives of the runtime under test', async () => {
    expect(runningOn()).toBe(expectedRuntime);
    expect((await currentRuntime()).name).toBe(expectedRuntime);
  });
});
