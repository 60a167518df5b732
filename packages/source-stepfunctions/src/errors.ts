import { TasklaneError } from '@tasklane/core';

/** Stable codes and error names of the Step Functions source. Never rename one. */
export const StepFunctionsErrorCode = {
  /** The `error` a precondition handler's FALSE is reported with (SendTaskFailure); Catch on it. */
  PreconditionFalse: 'Tasklane.PreconditionFalse',
  /** A `--activity` name matched no activity of ListActivities. */
  UnknownActivity: 'TL_SFN_UNKNOWN_ACTIVITY',
  /** A Data Pipeline definition could not be turned into a state machine. */
  InvalidDefinition: 'TL_SFN_INVALID_DEFINITION',
} as const;
export type StepFunctionsErrorCode = (typeof StepFunctionsErrorCode)[keyof typeof StepFunctionsErrorCode];

/** An activity given by name is not known to the service. */
export class UnknownActivityError extends TasklaneError {
  override name = 'UnknownActivityError';
  constructor(message: string) {
    super(StepFunctionsErrorCode.UnknownActivity, message);
  }
}

/** A Data Pipeline definition cannot be migrated (bad JSON shape, dependency cycle, ...). */
export class InvalidDefinitionError extends TasklaneError {
  override name = 'InvalidDefinitionError';
  constructor(message: string) {
    super(StepFunctionsErrorCode.InvalidDefinition, message);
  }
}
