import { TasklaneError } from '@tasklane/core';

/** Stable codes of errors thrown (or written to failed jobs) by the BullMQ source. Never rename one. */
export const BullMQErrorCode = {
  /** failedReason prefix of a job canceled through {@link cancelJob} / `BullMQSource.cancelJob`. */
  Canceled: 'TL_BULLMQ_CANCELED',
  /** A job spec given to `enqueueJobs` is invalid. */
  InvalidJob: 'TL_BULLMQ_INVALID_JOB',
  /** A pipeline definition could not be turned into jobs. */
  InvalidDefinition: 'TL_BULLMQ_INVALID_DEFINITION',
  /** A `*`-prefixed (secret) field cannot be stored sealed or opened: no key, or a wrong one. */
  SecretField: 'TL_BULLMQ_SECRET_FIELD',
} as const;
export type BullMQErrorCode = (typeof BullMQErrorCode)[keyof typeof BullMQErrorCode];

/** A job spec or a definition object cannot be enqueued; the message names the offending entry. */
export class InvalidJobError extends TasklaneError {
  override name = 'InvalidJobError';
  constructor(message: string) {
    super(BullMQErrorCode.InvalidJob, message);
  }
}

/** A Data Pipeline definition cannot be mapped to BullMQ jobs (bad JSON shape, dependency cycle, ...). */
export class InvalidDefinitionError extends TasklaneError {
  override name = 'InvalidDefinitionError';
  constructor(message: string) {
    super(BullMQErrorCode.InvalidDefinition, message);
  }
}
