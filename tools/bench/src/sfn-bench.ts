import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  GetActivityTaskCommand,
  SFNClient,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { TaskHandler } from '@tasklane/core';
import { emulatorClientConfig, startEmulator, type Emulator } from '@tasklane/emulator';
import { StepFunctionsSource } from '@tasklane/source-stepfunctions';
import { startTestRunner } from '@tasklane/test-utils/harness';

/** Result of {@link benchStepFunctions}: activity tasks per second through each worker, and tasklane / bare. */
export interface StepFunctionsBenchResult {
  tasklanePerSec: number;
  barePerSec: number;
  ratio: number;
  tasks: number;
  concurrency: number;
}

const NoopActivity = TaskHandler('NoopActivity')(
  class {
    handle() {}
  },
);

let rounds = 0;

/** A fresh activity with `tasks` executions of a one-Task state machine waiting on it. */
async function fill(client: SFNClient, tasks: number): Promise<string> {
  const name = `bench-sfn-${process.pid}-${++rounds}`;
  const { activityArn } = await client.send(new CreateActivityCommand({ name }));
  const { stateMachineArn } = await client.send(
    new CreateStateMachineCommand({
      name,
      roleArn: 'arn:aws:iam::000000000000:role/bench',
      definition: JSON.stringify({
        StartAt: 'T',
        States: { T: { Type: 'Task', Resource: activityArn, End: true } },
      }),
    }),
  );
  for (let i = 0; i < tasks; i++) await client.send(new StartExecutionCommand({ stateMachineArn }));
  return activityArn!;
}

/** A hand-written worker: `concurrency` loops of GetActivityTask → SendTaskSuccess, as the AWS docs sketch. */
async function bare(emu: Emulator, tasks: number, concurrency: number): Promise<number> {
  const setup = new SFNClient(emulatorClientConfig(emu));
  const activityArn = await fill(setup, tasks);
  const client = new SFNClient({ ...emulatorClientConfig(emu), maxAttempts: 1 });
  let done = 0;
  let ended = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (done < tasks) {
        const task = await client.send(new GetActivityTaskCommand({ activityArn }));
        if (!task.taskToken) continue;
        await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }));
        // The last loops still wait out an empty long poll: the drain ended with the last task.
        if (++done === tasks) ended = performance.now();
      }
    }),
  );
  const perSec = (tasks * 1000) / (ended - started);
  client.destroy();
  setup.destroy();
  return perSec;
}

/** The same tasks through a Tasklane Runner with the Step Functions source, `concurrency` slots. */
async function tasklane(emu: Emulator, tasks: number, concurrency: number): Promise<number> {
  const setup = new SFNClient(emulatorClientConfig(emu));
  const activityArn = await fill(setup, tasks);
  setup.destroy();
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const { endpoint, region, credentials } = emulatorClientConfig(emu);
  const source = new StepFunctionsSource({
    endpoint,
    region,
    clientConfig: { credentials },
    handlerTypes: { [activityArn]: 'NoopActivity' },
  });
  const started = performance.now();
  const runner = await startTestRunner({
    handlers: [NoopActivity],
    sources: [{ source, groups: [activityArn] }],
    concurrency,
    hooks: [{ onTaskEnd: () => void (++done === tasks && finish()) }],
  });
  await finished;
  const perSec = (tasks * 1000) / (performance.now() - started);
  await runner.stop();
  return perSec;
}

/**
 * Throughput of no-op activity tasks on the emulator: a bare SDK worker with `concurrency` open polls
 * against a Tasklane Runner (`--source stepfunctions`) with as many slots. Best of `rounds` per side,
 * interleaved; the emulator runs in this process for both.
 */
export async function benchStepFunctions(opts: {
  tasks: number;
  concurrency: number;
  rounds?: number;
}): Promise<StepFunctionsBenchResult> {
  const emu = await startEmulator({ longPollMs: 500 });
  try {
    const warm = Math.max(50, Math.floor(opts.tasks / 10));
    await bare(emu, warm, opts.concurrency);
    await tasklane(emu, warm, opts.concurrency);
    let barePerSec = 0;
    let tasklanePerSec = 0;
    for (let i = 0; i < (opts.rounds ?? 3); i++) {
      barePerSec = Math.max(barePerSec, await bare(emu, opts.tasks, opts.concurrency));
      tasklanePerSec = Math.max(tasklanePerSec, await tasklane(emu, opts.tasks, opts.concurrency));
    }
    return {
      tasklanePerSec,
      barePerSec,
      ratio: tasklanePerSec / barePerSec,
      tasks: opts.tasks,
      concurrency: opts.concurrency,
    };
  } finally {
    await emu.close();
  }
}

/** The bench's `stepfunctions` section. */
export function benchStepFunctionsSection(quick: boolean): Promise<StepFunctionsBenchResult> {
  return benchStepFunctions({ tasks: quick ? 300 : 2000, concurrency: 8, rounds: quick ? 1 : 3 });
}

/** The summary's lines for the `stepfunctions` section (none when it did not run or failed). */
export function stepFunctionsSummary(result: Partial<StepFunctionsBenchResult> | undefined): string[] {
  if (!result || 'error' in result || result.ratio === undefined) return [];
  const perSec = (n: number | undefined) => Math.round(n ?? 0);
  return [
    '## Step Functions source',
    '',
    `No-op activity tasks on the emulator, concurrency ${result.concurrency ?? 8}: bare SDK worker ${perSec(result.barePerSec)} tasks/s, Tasklane ${perSec(result.tasklanePerSec)} tasks/s, ratio ${result.ratio.toFixed(3)}.`,
    '',
  ];
}
