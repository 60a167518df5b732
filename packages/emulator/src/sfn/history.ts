/** History events, execution statuses and the context object (`$$`) of an execution. */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  readonly timestamp: number;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  readonly [details: string]: unknown;
}

/** What identifies an execution, for the context object. */
export interface ExecutionRef {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly input: string;
}

/** The context object `$$` a Parameters template reads (`$$.State.RetryCount`, `$$.Execution.Name`, ...). */
export function contextObject(
  ref: ExecutionRef,
  startDate: number,
  now: number,
  state: string,
  retryCount: number,
): unknown {
  return {
    Execution: {
      Id: ref.arn,
      Name: ref.name,
      Input: JSON.parse(ref.input) as unknown,
      StartTime: new Date(startDate).toISOString(),
    },
    StateMachine: { Id: ref.stateMachineArn, Name: ref.stateMachineName },
    State: { Name: state, EnteredTime: new Date(now).toISOString(), RetryCount: retryCount },
  };
}
