/**
 * @module @tasklane/source-bullmq
 *
 * BullMQ as a second Tasklane task source: the same `@TaskHandler` classes run jobs from BullMQ queues
 * (job name = activity type, job data = fields), next to or instead of Data Pipeline worker groups.
 * Also: `enqueueJobs` / `jobsFromDefinition` to add jobs (a pipeline definition becomes BullMQ flows),
 * `cancelJob` to cancel from anywhere, and `createQueueDashboard` (bull-board on hono).
 */
export { BullMQSource } from './source.ts';
export { cancelJob, cancelChannel } from './cancel.ts';
export { taskFromJob } from './job-task.ts';
export { dispositionFor, progressValue } from './outcome-mapping.ts';
export { isConnectionError, loggableError } from './connection.ts';
export { SecretBox, SecretFieldError, SEALED_PREFIX, sealJobData, openJobData } from './secrets.ts';
export { enqueueJobs } from './enqueue.ts';
export { jobsFromDefinition, planFromDefinition } from './definition.ts';
export { createQueueDashboard } from './dashboard.ts';
export { BullMQErrorCode, InvalidJobError, InvalidDefinitionError } from './errors.ts';

export type { BullMQSourceOptions } from './source.ts';
export type { CancelJobOptions, CancelResult, CancelMessage } from './cancel.ts';
export type { TasklaneJobData, JobLike } from './job-task.ts';
export type { CompletedReturnValue, JobDisposition } from './outcome-mapping.ts';
export type { RedisConnectionOptions } from './connection.ts';
export type { EnqueueJob, EnqueueOptions, EnqueueResult } from './enqueue.ts';
export type { DefinitionPlan, DefinitionLayout } from './definition.ts';
export type { QueueDashboardOptions, QueueDashboard, DashboardServeStatic } from './dashboard.ts';
