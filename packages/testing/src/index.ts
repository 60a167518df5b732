/**
 * @module @tasklane/testing
 *
 * Test kit for Tasklane handlers and plugins: build tasks from plain objects or pipeline definitions
 * ({@link fakeTask}, {@link taskFromDefinition}), run one handler with a controllable abort signal
 * ({@link MockHandlerEnvironment}), or run handlers end to end against the in-process Data Pipeline
 * emulator ({@link startTestEnvironment}).
 */
export { fakeTask, attemptIdFor } from './fake-task.ts';
export { taskFromDefinition } from './definition.ts';
export { MockHandlerEnvironment } from './mock-environment.ts';
export { captureLogger } from './capture-logger.ts';
export { startTestEnvironment } from './test-environment.ts';
/** The in-memory coordinator (one poll per group in this process), re-exported from core. */
export { InProcessCoordinator } from '@tasklane/core';

export type { FakeTaskSpec, FakeTaskOptions, FakeFieldValue } from './fake-task.ts';
export type { PipelineDefinitionSnippet, DefinitionObject } from './definition.ts';
export type {
  MockHandlerEnvironmentOptions,
  MockRunOptions,
  MockRunResult,
  BindingsModule,
} from './mock-environment.ts';
export type { LogLine } from './capture-logger.ts';
export type { TestEnvironment, TestEnvironmentOptions, EnqueueOptions } from './test-environment.ts';
