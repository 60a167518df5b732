import { describe, expect, it } from 'vitest';
import { currentRuntime, expectedRuntime, runningOn } from './current-runtime.ts';

describe('test runtime', () => {
  it(`runs on the runtime the script asked for (${expectedRuntime})`, async () => {
    expect(runningOn()).toBe(expectedRuntime);
    expect((await currentRuntime()).name).toBe(expectedRuntime);
  });
});
