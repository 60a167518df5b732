import {
  LeaseLostError,
  type LeaseReply,
  type SourceTask,
  type Task,
  type TaskOutcome,
} from '@tasklane/core';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { dispositionFor } from './outcome-mapping.ts';
import { taskFromInput, type ParsedInput } from './task-input.ts';

const RUNNING: LeaseReply = Object.freeze({ canceled: false });
const CANCELED: LeaseReply = Object.freeze({ canceled: true });

/** What a task needs from the source that polled it. */
export interface ActivityTaskHost {
  readonly client: SFNClient;
  /** Heartbeat period asked for when the input names no `tasklane.heartbeatSeconds`, in ms. */
  readonly defaultHeartbeatMs: number | undefined;
  readonly redact: ((text: string) => string) | undefined;
}

function errorName(error: unknown): string {
  return (error as { name?: unknown } | null)?.name === undefined
    ? ''
    : String((error as { name: unknown }).name);
}

/**
 * One activity task taken by GetActivityTask. There is no separate ack (the poll already started the
 * activity); heartbeats are SendTaskHeartbeat. `TaskTimedOut` (the state timed out, missed its heartbeat,
 * or its execution was stopped) answers `canceled`, so the handler's signal aborts with
 * `abortReason === 'canceled'`; `TaskDoesNotExist` / `InvalidToken` are a lost lease.
 */
export class StepFunctionsTask implements SourceTask {
  readonly id: string;
  readonly leaseTimeoutMs: number | undefined;
  readonly #parsed: ParsedInput | { error: unknown };

  constructor(
    readonly token: string,
    readonly activityType: string,
    input: string | undefined,
    private readonly host: ActivityTaskHost,
  ) {
    // Tokens are long opaque strings: a short stable tail is enough to tell tasks apart in logs.
    this.id = `sfn-${token.slice(-16)}`;
    try {
      this.#parsed = taskFromInput(this.id, activityType, input);
    } catch (error) {
      this.#parsed = { error };
    }
    const seconds = 'context' in this.#parsed ? this.#parsed.context.heartbeatSeconds : undefined;
    this.leaseTimeoutMs = seconds !== undefined ? seconds * 1000 : host.defaultHeartbeatMs;
  }

  toTask(): Task {
    if ('error' in this.#parsed) throw this.#parsed.error;
    return this.#parsed.task;
  }

  ack(): Promise<LeaseReply> {
    return Promise.resolve(RUNNING);
  }

  async progress(): Promise<LeaseReply> {
    try {
      await this.host.client.send(new SendTaskHeartbeatCommand({ taskToken: this.token }));
      return RUNNING;
    } catch (error) {
      return this.#gone(error, 'heartbeat');
    }
  }

  async complete(outcome: TaskOutcome): Promise<void> {
    const d = dispositionFor(outcome, this.host.redact);
    try {
      if (d.kind === 'success')
        await this.host.client.send(new SendTaskSuccessCommand({ taskToken: this.token, output: d.output }));
      else
        await this.host.client.send(
          new SendTaskFailureCommand({ taskToken: this.token, error: d.error, cause: d.cause }),
        );
    } catch (error) {
      if (this.#gone(error, outcome.status) === CANCELED)
        throw new LeaseLostError(
          `activity task ${this.id}: the service closed it before the ${outcome.status} report`,
          { cause: error },
        );
    }
  }

  #gone(error: unknown, what: string): LeaseReply {
    const name = errorName(error);
    if (name === 'TaskTimedOut') return CANCELED;
    if (name === 'TaskDoesNotExist' || name === 'InvalidToken')
      throw new LeaseLostError(`activity task ${this.id}: ${what} refused (${name})`, { cause: error });
    throw error;
  }
}
