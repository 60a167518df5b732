/**
 * The Step Functions stand-in: the AWS JSON 1.0 operations activity workers and their operators use,
 * routed by `X-Amz-Target: AWSStepFunctions.<Op>` on the emulator's port.
 */
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import type { Outcome } from '../router.ts';
import { Activities } from './activities.ts';
import { parseDefinition, type Definition } from './asl.ts';
import { SfnError, invalidArn, validation } from './errors.ts';
import { Execution } from './execution.ts';

export const SFN_TARGET_PREFIX = 'AWSStepFunctions.';
const ARN_PREFIX = 'arn:aws:states:us-east-1:000000000000';
const NAME = /^[A-Za-z0-9_\-.]{1,80}$/;
/** The API's limits: output/input 256 KiB, error 256 and cause 32768 characters. */
const MAX_PAYLOAD = 262_144;
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

interface StateMachine {
  readonly arn: string;
  readonly name: string;
  readonly definition: string;
  readonly parsed: Definition;
  readonly roleArn: string;
  readonly creationDate: number;
}

type Input = Record<string, unknown>;
type Op = (input: Input, ctx: RequestContext) => object | Promise<object>;

export interface SfnServiceOptions {
  readonly clock: Clock;
  readonly timeScale: number;
  /** How long GetActivityTask waits for a task (the service: 60 s). */
  readonly longPollMs: number;
  readonly log: (line: string) => void;
}

function str(input: Input, key: string, required = true): string | undefined {
  const value = input[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string')
    throw validation(
      `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

function name(input: Input): string {
  const value = str(input, 'name')!;
  if (!NAME.test(value)) throw new SfnError('InvalidName', `Invalid Name: '${value.slice(0, 100)}'`);
  return value;
}

function limited(input: Input, key: string, max: number): string {
  const value = str(input, key, false) ?? '';
  if (value.length > max)
    throw validation(
      `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  return value;
}

const epoch = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export class SfnService {
  readonly activities: Activities;
  readonly #machines = new Map<string, StateMachine>();
  readonly #executions = new Map<string, Execution>();
  readonly #ops: Record<string, Op>;

  constructor(private readonly o: SfnServiceOptions) {
    this.activities = new Activities(o.clock, o.longPollMs);
    this.#ops = {
      CreateActivity: (i) => this.#createActivity(i),
      DescribeActivity: (i) => this.#describeActivity(i),
      DeleteActivity: (i) => (this.activities.delete(this.#activityArn(i)), {}),
      ListActivities: () => ({
        activities: [...this.activities.byArn.values()].map((a) => ({
          activityArn: a.arn,
          name: a.name,
          creationDate: epoch(a.creationDate),
        })),
      }),
      CreateStateMachine: (i) => this.#createStateMachine(i),
      DescribeStateMachine: (i) => this.#describeStateMachine(i),
      DeleteStateMachine: (i) => (this.#machines.delete(str(i, 'stateMachineArn')!), {}),
      ListStateMachines: () => ({
        stateMachines: [...this.#machines.values()].map((m) => ({
          stateMachineArn: m.arn,
          name: m.name,
          type: 'STANDARD',
          creationDate: epoch(m.creationDate),
        })),
      }),
      StartExecution: (i) => this.#startExecution(i),
      DescribeExecution: (i) => this.#describeExecution(this.#execution(i)),
      StopExecution: (i) => this.#stopExecution(i),
      ListExecutions: (i) => ({
        executions: [...this.#executions.values()]
          .filter((e) => e.spec.stateMachineArn === i.stateMachineArn)
          .map((e) => this.#describeExecution(e)),
      }),
      GetExecutionHistory: (i) => this.#history(i),
      GetActivityTask: (i, ctx) =>
        this.activities.poll(this.#activityArn(i), str(i, 'workerName', false), ctx),
      SendTaskHeartbeat: (i) => (this.activities.heartbeat(i.taskToken), {}),
      SendTaskSuccess: (i) => this.#sendSuccess(i),
      SendTaskFailure: (i) => (
        this.activities.fail(i.taskToken, limited(i, 'error', MAX_ERROR), limited(i, 'cause', MAX_CAUSE)),
        {}
      ),
    };
  }

  async dispatch(target: string, body: string, ctx: RequestContext): Promise<Outcome> {
    try {
      const op = target.slice(SFN_TARGET_PREFIX.length);
      if (!Object.hasOwn(this.#ops, op))
        throw new SfnError('UnknownOperationException', `Unknown operation '${op.slice(0, 128)}'.`);
      let input: unknown;
      try {
        input = body === '' ? {} : JSON.parse(body);
      } catch {
        throw new SfnError('SerializationException', 'Request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw new SfnError('SerializationException', 'Request body must be a JSON object.');
      const result = await this.#ops[op]!(input as Input, ctx);
      return { kind: 'json', status: 200, body: JSON.stringify(result) };
    } catch (err) {
      const e =
        err instanceof SfnError
          ? err
          : (this.o.log(`sfn internal error: ${(err as Error).stack ?? String(err)}`),
            new SfnError('InternalFailure', 'Internal service error.', 500));
      return {
        kind: 'json',
        status: e.statusCode,
        body: JSON.stringify({ __type: e.code, message: e.message }),
        errorType: e.code,
      };
    }
  }

  /** Answers open polls empty and stops every running execution's timers. */
  close(): void {
    this.activities.releaseAll();
    for (const e of this.#executions.values())
      if (e.status === 'RUNNING') e.stop('Emulator.Closed', 'closed');
  }

  #activityArn(i: Input): string {
    const arn = str(i, 'activityArn')!;
    if (!arn.startsWith('arn:')) throw invalidArn('activity', arn);
    return arn;
  }

  #createActivity(i: Input): object {
    const n = name(i);
    const a = this.activities.create(`${ARN_PREFIX}:activity:${n}`, n);
    return { activityArn: a.arn, creationDate: epoch(a.creationDate) };
  }

  #describeActivity(i: Input): object {
    const a = this.activities.get(this.#activityArn(i));
    return { activityArn: a.arn, name: a.name, creationDate: epoch(a.creationDate) };
  }

  #createStateMachine(i: Input): object {
    const n = name(i);
    const definition = str(i, 'definition')!;
    const parsed = parseDefinition(definition);
    const arn = `${ARN_PREFIX}:stateMachine:${n}`;
    const existing = this.#machines.get(arn);
    if (existing && existing.definition !== definition)
      throw new SfnError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    const machine = existing ?? {
      arn,
      name: n,
      definition,
      parsed,
      roleArn: str(i, 'roleArn', false) ?? '',
      creationDate: this.o.clock.now(),
    };
    this.#machines.set(arn, machine);
    return { stateMachineArn: arn, creationDate: epoch(machine.creationDate) };
  }

  #machine(arn: unknown): StateMachine {
    const machine = typeof arn === 'string' ? this.#machines.get(arn) : undefined;
    if (!machine)
      throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return machine;
  }

  #describeStateMachine(i: Input): object {
    const m = this.#machine(i.stateMachineArn);
    return {
      stateMachineArn: m.arn,
      name: m.name,
      definition: m.definition,
      roleArn: m.roleArn,
      type: 'STANDARD',
      status: 'ACTIVE',
      creationDate: epoch(m.creationDate),
    };
  }

  #startExecution(i: Input): object {
    const machine = this.#machine(i.stateMachineArn);
    const execName =
      str(i, 'name', false) ??
      `exec-${this.o.clock.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    if (!NAME.test(execName)) throw new SfnError('InvalidName', `Invalid Name: '${execName.slice(0, 100)}'`);
    const input = limited(i, 'input', MAX_PAYLOAD) || '{}';
    try {
      JSON.parse(input);
    } catch {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const arn = `${ARN_PREFIX}:execution:${machine.name}:${execName}`;
    if (this.#executions.has(arn))
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    const execution = new Execution(
      { clock: this.o.clock, timeScale: this.o.timeScale, activities: this.activities },
      {
        arn,
        name: execName,
        stateMachineArn: machine.arn,
        stateMachineName: machine.name,
        definition: machine.parsed,
        input,
      },
    );
    this.#executions.set(arn, execution);
    execution.start();
    return { executionArn: arn, startDate: epoch(execution.startDate) };
  }

  #execution(i: Input): Execution {
    const arn = str(i, 'executionArn')!;
    const execution = this.#executions.get(arn);
    if (!execution) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  #describeExecution(e: Execution): object {
    return {
      executionArn: e.spec.arn,
      stateMachineArn: e.spec.stateMachineArn,
      name: e.spec.name,
      status: e.status,
      startDate: epoch(e.startDate),
      stopDate: epoch(e.stopDate),
      input: e.spec.input,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  }

  #stopExecution(i: Input): object {
    const e = this.#execution(i);
    e.stop(str(i, 'error', false), str(i, 'cause', false));
    return { stopDate: epoch(e.stopDate ?? this.o.clock.now()) };
  }

  #history(i: Input): object {
    const events = [...this.#execution(i).events];
    return { events: i.reverseOrder === true ? events.reverse() : events };
  }

  #sendSuccess(i: Input): object {
    const output = limited(i, 'output', MAX_PAYLOAD);
    try {
      JSON.parse(output);
    } catch {
      throw new SfnError('InvalidOutput', 'Invalid Output: not JSON');
    }
    this.activities.succeed(i.taskToken, output);
    return {};
  }
}
