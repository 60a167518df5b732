// The one runtime selector of the workspace's tests lives in the shared harness.
export { currentRuntime, expectedRuntime, runningOn } from '@tasklane/test-utils/harness';
