import { ErrorCode, TasklaneError } from './errors.ts';

/** The task could not be understood; it ends FAILED with this message rather than crashing anything. */
export class MalformedTaskError extends TasklaneError {
  override name = 'MalformedTaskError';
  constructor(message: string) {
    super(ErrorCode.MalformedTask, message);
  }
}

/** A required field is absent on the attempt and its parents. */
export class MissingFieldError extends TasklaneError {
  override name = 'MissingFieldError';
  constructor(
    readonly field: string,
    activityType: string,
  ) {
    super(ErrorCode.MissingField, `${activityType}: required field "${field}" is missing`);
  }
}

/** A field is present but its value cannot be read as the type asked for. */
export class InvalidFieldError extends TasklaneError {
  override name = 'InvalidFieldError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(ErrorCode.InvalidField, message);
  }
}

/** A field references an object the task does not carry (the service, or the source, left it out). */
export class UnresolvedReferenceError extends TasklaneError {
  override name = 'UnresolvedReferenceError';
  constructor(
    readonly field: string,
    readonly id: string,
    activityType: string,
  ) {
    super(
      ErrorCode.UnresolvedReference,
      `${activityType}: field "${field}" references object "${id}", which is not among the task's objects`,
    );
  }
}
