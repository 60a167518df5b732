/**
 * @module @tasklane/source-stepfunctions
 *
 * AWS Step Functions activities as a third Tasklane task source: the same `@TaskHandler` classes run
 * activity tasks (activity = handler type, JSON input = fields), next to or instead of Data Pipeline
 * worker groups. Also `migrateDefinition`, which turns a Data Pipeline definition into a state machine.
 */
export { StepFunctionsSource } from './source.ts';
export { StepFunctionsTask } from './activity-task.ts';
export { taskFromInput } from './task-input.ts';
export { dispositionFor, FAILURE_LIMITS } from './outcome-mapping.ts';
export { resolveActivity, activityName } from './resolve.ts';
export { migrateDefinition } from './migrate.ts';
export { deployMigration } from './deploy.ts';
// Re-exported so the CLI creates its client without a dependency of its own on the SDK.
export {
  SFNClient,
  StartExecutionCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
} from '@aws-sdk/client-sfn';
export { StepFunctionsErrorCode, UnknownActivityError, InvalidDefinitionError } from './errors.ts';

export type { StepFunctionsSourceOptions } from './source.ts';
export type { TaskInputContext, ParsedInput } from './task-input.ts';
export type { ActivityDisposition } from './outcome-mapping.ts';
export type { ResolvedActivity } from './resolve.ts';
export type { Migration, MigrateOptions } from './migrate.ts';
export type { Deployment } from './deploy.ts';
