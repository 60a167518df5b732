/**
 * @module @tasklane/test-utils/harness
 * The one integration harness of Tasklane's own tests: the Data Pipeline emulator plus a core Runner
 * wired to it through the real AWS SDK client, a test Runner for other sources (BullMQ), the runtime
 * under test, and the runtime apps' real `bin/tasklane` as a child process. A subpath of its own so
 * that tests needing only Redis or ports load no core.
 *
 * @example
 * ```ts
 * const h = await startHarness({ handlers: [Echo] });
 * const { taskId } = h.enqueue('Echo');
 * expect((await h.waitForTask(taskId)).terminalStatus).toBe('FINISHED');
 * await h.close();
 * ```
 */
export { startHarness } from './emulator-harness.ts';
export { emulatorSource, fastRunnerTimings, startTestRunner, testCredentials } from './runner.ts';
export { startTasklane, tasklaneBin, tasklaneEnv } from './process.ts';
export { assertExpectedRuntime, currentRuntime, expectedRuntime, runningOn } from './runtime.ts';
export type { Harness, HarnessOptions } from './emulator-harness.ts';
export type { TestRunnerOptions } from './runner.ts';
export type { RuntimeName } from './runtime.ts';
