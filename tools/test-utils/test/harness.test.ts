import { TaskHandler, type Task } from '@tasklane/core';
import { startEmulator } from '@tasklane/emulator';
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

  it('shares an emulator it was given and leaves it running', async () => {
    const emulator = await startEmulator({ longPollMs: 300 });
    try {
      const a = await startHarness({ emulator, handlers: [Echo], groups: ['wg-shared'] });
      await a.close();
      const task = emulator.control.enqueueTask({
        workerGroup: 'wg-shared',
        type: 'HarnessEcho',
        fields: { word: 'again' },
      });
      const b = await startHarness({ emulator, handlers: [Echo], groups: ['wg-shared'] });
      expect((await b.waitForTask(task.taskId)).terminalStatus).toBe('FINISHED');
      await b.close();
    } finally {
      await emulator.close();
    }
  });

  it('hands the runner the primitives of the runtime under test', async () => {
    expect(runningOn()).toBe(expectedRuntime);
    expect((await currentRuntime()).name).toBe(expectedRuntime);
  });
});
