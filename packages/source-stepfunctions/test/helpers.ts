import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { emulatorClientConfig, startEmulator, type Emulator } from '@tasklane/emulator';

let counter = 0;

/** A name unique to this process and test. */
export function unique(label: string): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export interface SfnEmulator {
  readonly emulator: Emulator;
  readonly client: SFNClient;
  activity(name: string): Promise<string>;
  machine(definition: object): Promise<string>;
  start(machineArn: string, input?: object): Promise<string>;
  /** Waits until the execution leaves RUNNING (or `timeoutMs` passes) and returns it. */
  finished(executionArn: string, timeoutMs?: number): Promise<DescribeExecutionCommandOutput>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  /** Waits for a history event of `type`. */
  event(executionArn: string, type: string, timeoutMs?: number): Promise<HistoryEvent>;
  close(): Promise<void>;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The emulator with short long polls (runners stop quickly) and a real SFNClient on it. */
export async function startSfnEmulator(): Promise<SfnEmulator> {
  const emulator = await startEmulator({ longPollMs: 1000 });
  const client = new SFNClient(emulatorClientConfig(emulator));
  const history = async (executionArn: string) =>
    (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
  return {
    emulator,
    client,
    async activity(name) {
      return (await client.send(new CreateActivityCommand({ name }))).activityArn!;
    },
    async machine(definition) {
      const out = await client.send(
        new CreateStateMachineCommand({
          name: unique('sm'),
          definition: JSON.stringify(definition),
          roleArn: 'arn:aws:iam::000000000000:role/tasklane',
        }),
      );
      return out.stateMachineArn!;
    },
    async start(stateMachineArn, input = {}) {
      const out = await client.send(
        new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
      );
      return out.executionArn!;
    },
    async finished(executionArn, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const out = await client.send(new DescribeExecutionCommand({ executionArn }));
        if (out.status !== 'RUNNING' || Date.now() > deadline) return out;
        await delay(50);
      }
    },
    history,
    async event(executionArn, type, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await history(executionArn)).find((e) => e.type === type);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${type} event within ${timeoutMs} ms`);
        await delay(50);
      }
    },
    async close() {
      client.destroy();
      await emulator.close();
    },
  };
}

/** A Task state on `activityArn` whose input carries the fields and the Tasklane context. */
export function taskState(
  activityArn: string,
  fields: object,
  extra: object = {},
  heartbeatSeconds = 10,
): object {
  return {
    Type: 'Task',
    Resource: activityArn,
    Parameters: {
      fields,
      tasklane: {
        heartbeatSeconds,
        'retryCount.$': '$$.State.RetryCount',
        'execution.$': '$$.Execution.Name',
      },
    },
    ...extra,
  };
}
