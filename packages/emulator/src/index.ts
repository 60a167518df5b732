/**
 * @module @tasklane/emulator
 * A local AWS Data Pipeline service (AWS JSON 1.1) for tests, demos and benchmarks: per-workerGroup
 * queues, long polls, leases, attempts and retries, a definition scheduler, and a control API.
 */
export { startEmulator } from './emulator.ts';
export type { EmulatorInternals } from './emulator.ts';
export { EMULATOR_CREDENTIALS, emulatorClientConfig, emulatorEnv } from './client-config.ts';
export type { EmulatorClientConfig } from './client-config.ts';
export {
  EmulatorError,
  InternalServiceFault,
  InvalidRequestError,
  PipelineDeletedError,
  PipelineNotFoundError,
  ServiceError,
  TaskNotFoundError,
  ThrottlingError,
  UnknownOperationError,
} from './errors.ts';
export type { EmulatorErrorCode, ServiceErrorCode } from './errors.ts';
export { parseDuration, parsePeriod } from './periods.ts';
export type { Clock, TimerHandle } from './clock.ts';
export type {
  ActionEvent,
  ActionObservation,
  AttemptObservation,
  Emulator,
  EmulatorControl,
  EmulatorOptions,
  EmulatorS3,
  EnqueueFieldValue,
  EnqueueTaskSpec,
  FaultKind,
  FaultSpec,
  GroupObservation,
  HeartbeatObservation,
  Observations,
  TaskObservation,
  TaskRef,
  TerminalTaskStatus,
  Violation,
} from './types.ts';
