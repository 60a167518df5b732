import { currentRuntime, expectedRuntime, runningOn } from '@tasklane/test-utils/harness';
import { describe, expect, it } from 'vitest';

describe('test runtime', () => {
  it(`runs on the runtime the script asked for (${expectedRuntime})`, async () => {
    expect(runningOn()).toBe(expectedRuntime);
    expect((await currentRuntime()).name).toBe(expectedRuntime);
  });
});
