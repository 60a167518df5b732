/**
 * Errors the emulated service answers with. `code` is the AWS error code the SDK turns into the error
 * `name`; `statusCode` follows the protocol doc (§1): server faults 500, everything else 400.
 */
export type ServiceErrorCode =
  | 'InvalidRequestException'
  | 'PipelineNotFoundException'
  | 'PipelineDeletedException'
  | 'TaskNotFoundException'
  | 'InternalServiceError'
  | 'ThrottlingException'
  | 'UnknownOperationException';

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  readonly statusCode: number;
  constructor(
    code: ServiceErrorCode,
    message: string,
    statusCode = code === 'InternalServiceError' ? 500 : 400,
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.statusCode = statusCode;
  }
}

export class InvalidRequestError extends ServiceError {
  constructor(message: string) {
    super('InvalidRequestException', message);
  }
}

export class PipelineNotFoundError extends ServiceError {
  constructor(pipelineId: string) {
    super('PipelineNotFoundException', `Pipeline ${pipelineId} does not exist.`);
  }
}

export class PipelineDeletedError extends ServiceError {
  constructor(pipelineId: string) {
    super('PipelineDeletedException', `Pipeline ${pipelineId} was deleted.`);
  }
}

export class TaskNotFoundError extends ServiceError {
  constructor(message = 'The task does not exist or is no longer assigned to this runner.') {
    super('TaskNotFoundException', message);
  }
}

export class InternalServiceFault extends ServiceError {
  constructor(message = 'Internal service error.') {
    super('InternalServiceError', message, 500);
  }
}

export class ThrottlingError extends ServiceError {
  constructor() {
    super('ThrottlingException', 'Rate exceeded');
  }
}

export class UnknownOperationError extends ServiceError {
  constructor(message: string) {
    super('UnknownOperationException', message);
  }
}

/** Codes for misuse of the in-process / HTTP control API (not part of the AWS surface). */
export type EmulatorErrorCode =
  | 'EMU_INVALID_SPEC'
  | 'EMU_UNKNOWN_TASK'
  | 'EMU_UNKNOWN_PIPELINE'
  | 'EMU_WAIT_TIMEOUT'
  | 'EMU_CLOSED'
  | 'EMU_STATE_FILE'
  | 'EMU_NOT_FOUND';

export class EmulatorError extends Error {
  readonly code: EmulatorErrorCode;
  constructor(code: EmulatorErrorCode, message: string) {
    super(message);
    this.name = 'EmulatorError';
    this.code = code;
  }
}
