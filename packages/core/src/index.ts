/**
 * @module @tasklane/core
 *
 * The portable poll-and-lease runtime of Tasklane. Handlers are classes decorated with
 * `@TaskHandler('ActivityType')`; a {@link Runner} polls each worker group, acknowledges tasks before
 * handler code runs, keeps their leases, delivers cancellation as an AbortSignal and reports outcomes.
 *
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { DataPipelineSource, HandlerRegistry, Runner, TaskHandler, type Task, type TaskContext } from '@tasklane/core';
 *
 * @TaskHandler('ShellCommandActivity')
 * class Hello {
 *   async handle(task: Task, ctx: TaskContext) {
 *     ctx.logger.info({ command: task.get('command') }, 'hello');
 *   }
 * }
 *
 * const source = new DataPipelineSource({ hostname: 'me', taskrunnerId: 'me-1', endpoint: 'http://127.0.0.1:8080' });
 * const runner = new Runner({ registry: new HandlerRegistry().register(Hello), sources: [{ source, groups: ['wg-1'] }] });
 * await runner.start();
 * ```
 */
export { Runner } from './runner.ts';
export { TaskHandler, getTaskHandlerMetadata } from './handler.ts';
export { HandlerRegistry, NoHandlerError, DuplicateHandlerError, Tokens } from './registry.ts';
export { Task, TaskObject } from './task.ts';
export {
  MalformedTaskError,
  MissingFieldError,
  InvalidFieldError,
  UnresolvedReferenceError,
} from './task-errors.ts';
export {
  TaskFailure,
  preconditionFalse,
  isPreconditionFalse,
  failureOutcome,
  handlerResult,
  sanitizeOutcome,
  minimalOutcome,
  ERROR_LIMITS,
} from './outcome.ts';
export { sanitizeText, safeString, matchesPatternP } from './sanitize.ts';
export { optionError, integerOption, durationOption, stringOption, booleanOption } from './validate.ts';
export { setLongTimeout, setLongInterval, MAX_TIMER_MS } from './timers.ts';
export { TaskAbort, callHandler, settleHandler, reportedOutcome, taskContext } from './settle.ts';
export { TasklaneError, InvalidOptionError, ErrorCode, describeValue } from './errors.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { DefinitionError, definitionObjectToWire, definitionToWireObjects } from './definition.ts';
export { compileRunnerOptions } from './options.ts';
export { InProcessCoordinator } from './in-process-coordinator.ts';
export { DataPipelineSource } from './datapipeline-source.ts';
export { LeaseLostError } from './source.ts';
export { portableRuntime, threadPort } from './runtime.ts';
export { silentLogger } from './logger.ts';
export { backoffDelay, sleep } from './backoff.ts';
export { fetchInstanceIdentity } from './ec2-identity.ts';
export { combineHooks } from './hooks-combine.ts';
export { VERSION } from './version.ts';
export {
  TASK_ENV_POLICY,
  TASK_ENV_ALLOWED,
  isDeniedTaskEnv,
  taskEnvironment,
  type TaskEnvPolicy,
} from './task-env.ts';
// Re-exported so plugins need only @tasklane/core (one inversify copy, one container).
export { inject, injectable, optional, ContainerModule } from 'inversify';

export type { TaskContext, AbortReason } from './context.ts';
export type {
  TaskHandlerClass,
  TaskHandlerInstance,
  TaskHandlerOptions,
  TaskHandlerMetadata,
} from './handler.ts';
export type { LoadedModule } from './registry.ts';
export type { RawTask, WireField, WireObject } from './task.ts';
export type { TaskOutcome, PreconditionFalse } from './outcome.ts';
export type { RunnerOptions, CompiledRunnerOptions, SourceBinding, DurationInput } from './options.ts';
export type { Coordinator, PollPermit, InstanceState, InFlightTask } from './coordinator.ts';
export { slotCounts, type SlotCounts, type GroupSlotCounts } from './slot-counts.ts';
export type { TaskSource, SourceTask, LeaseReply, RunnerIdentity, LeaseRenewalSpec } from './source.ts';
export type { Settled, TaskContextParts } from './settle.ts';
export type { Bounds } from './validate.ts';
export type { LongTimer } from './timers.ts';
export type { DataPipelineSourceOptions } from './datapipeline-source.ts';
export type {
  RuntimePrimitives,
  ProcessSpawner,
  SpawnOptions,
  SpawnedProcess,
  ThreadHandle,
  ThreadPort,
} from './runtime.ts';
export type { Logger } from './logger.ts';
export type { RunnerHooks, RunnerState, TaskEnd, TaskInfo, PollInfo } from './hooks.ts';
export type { InstanceIdentityOptions } from './ec2-identity.ts';
