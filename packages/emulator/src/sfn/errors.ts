/** Errors of the Step Functions stand-in; `code` is the AWS error name the SDK raises. */
export class SfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export function invalidArn(what: string, arn: unknown): SfnError {
  return new SfnError('InvalidArn', `Invalid ${what} ARN: '${String(arn).slice(0, 256)}'`);
}

export function validation(message: string): SfnError {
  return new SfnError('ValidationException', message);
}

/** The task token is known but the task is over (finished, timed out, or its execution stopped). */
export function taskTimedOut(): SfnError {
  return new SfnError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
}
