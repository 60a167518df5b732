// The runtime apps' real bin/tasklane as a child process lives in the shared harness.
export {
  startTasklane,
  tasklaneBin as runnerBin,
  tasklaneEnv as runnerEnv,
} from '@tasklane/test-utils/harness';
