import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { expectedRuntime, startTasklane, type RuntimeName } from '@tasklane/test-utils/harness';
import type { GroupProcess } from '@tasklane/test-utils';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSfnEmulator, taskState, unique, type SfnEmulator } from './helpers.ts';

/** A demo-shaped pipeline: a chain with a precondition and an activity that fails its first attempt. */
function pipeline(dir: string): object {
  const raw = join(dir, 'raw.csv');
  return {
    objects: [
      {
        id: 'Default',
        name: 'Default',
        scheduleType: 'ondemand',
        workerGroup: 'wg',
        maximumRetries: '0',
        retryDelay: '1 seconds',
      },
      {
        id: 'Extract',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        command: `printf 'id,name\\n1,ada\\n' > '${raw}'`,
      },
      {
        id: 'RawFileReady',
        type: 'ShellCommandPrecondition',
        parent: { ref: 'Default' },
        command: `test -s '${raw}'`,
      },
      {
        id: 'Transform',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        dependsOn: { ref: 'Extract' },
        precondition: { ref: 'RawFileReady' },
        command: `tr a-z A-Z < '${raw}' > '${join(dir, 'upper.csv')}'`,
      },
      {
        id: 'FlakyUpload',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        dependsOn: { ref: 'Transform' },
        maximumRetries: '2',
        command: 'case "$TASKLANE_ATTEMPT_ID" in *Attempt=1) echo busy >&2; exit 3;; esac; echo uploaded',
      },
      { id: 'Hourly', type: 'Schedule', period: '1 hours', startDateTime: '2026-01-01T00:00:00' },
    ],
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runToEnd(p: GroupProcess): Promise<{ code: number | string; out: string }> {
  const code = await p.exited;
  return { code, out: p.output() };
}

// The Node run covers every runner bin; test:bun / test:deno run their own runtime's bin only.
const runtimes: RuntimeName[] = process.env.TASKLANE_EXPECT_RUNTIME
  ? [expectedRuntime as RuntimeName]
  : ['node', 'bun', 'deno'];

describe('tasklane migrate + tasklane run --source stepfunctions (real processes)', () => {
  let sfn: SfnEmulator;
  let dir: string;
  let definitionFile: string;

  beforeAll(async () => {
    sfn = await startSfnEmulator();
    dir = mkdtempSync(join(tmpdir(), 'tl-sfn-e2e-'));
    definitionFile = join(dir, 'pipeline.json');
    writeFileSync(definitionFile, JSON.stringify(pipeline(dir)));
  });

  afterAll(async () => {
    await sfn?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tasklane demo --source stepfunctions runs the migrated demo pipeline to SUCCEEDED', async () => {
    const demo = await runToEnd(
      startTasklane('node', ['demo', '--source', 'stepfunctions', '--timeout', '60s']),
    );
    expect(demo.code, demo.out).toBe(0);
    expect(demo.out).toMatch(/FlakyUpload\s+SUCCEEDED\s+2/);
    expect(demo.out).toContain('left out: Publish (S3 staging)');
    expect(demo.out).toContain('Summary: execution SUCCEEDED');
  }, 90_000);

  it('refuses a missing or unknown --activity with exit 2, naming the option', async () => {
    const missing = await runToEnd(startTasklane('node', ['run', '--source', 'stepfunctions']));
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('--activity is required with --source stepfunctions');
    const unknown = await runToEnd(
      startTasklane('node', [
        'run',
        '--source',
        'stepfunctions',
        '--endpoint',
        sfn.emulator.endpoint,
        '--activity',
        unique('NoSuchActivity'),
      ]),
    );
    expect(unknown.code, unknown.out).toBe(2);
    expect(unknown.out).toMatch(/--activity: no Step Functions activity is named/);
    const printed = await runToEnd(
      startTasklane('node', [
        'run',
        '--source',
        'stepfunctions',
        '--activity',
        'Foo=Bar',
        '--activity-heartbeat',
        '30s',
        '--print-config',
      ]),
    );
    expect(printed.code).toBe(0);
    expect(printed.out).toMatch(/"activities": \[\s*"Foo=Bar"\s*\][\s\S]*"activityHeartbeatMs": 30000/);
    const noFile = await runToEnd(startTasklane('node', ['migrate']));
    expect(noFile.code).toBe(2);
    expect(noFile.out).toContain('--definition is required');
  }, 60_000);

  it.each(runtimes)(
    'on %s: the migrated pipeline, a heartbeat timeout and a StopExecution',
    async (runtime) => {
      const migrate = await runToEnd(
        startTasklane(runtime, [
          'migrate',
          '--definition',
          definitionFile,
          '--create',
          unique('demo'),
          '--endpoint',
          sfn.emulator.endpoint,
        ]),
      );
      expect(migrate.code, migrate.out).toBe(0);
      expect(migrate.out).toContain('not translated: Hourly: schedules are not translated');
      const created = JSON.parse(migrate.out.slice(migrate.out.indexOf('{'))) as {
        stateMachineArn: string;
        activities: Record<string, string>;
      };
      const shell = created.activities.ShellCommandActivity!;
      expect(Object.keys(created.activities).sort()).toEqual([
        'ShellCommandActivity',
        'ShellCommandPrecondition',
      ]);

      const runner = startTasklane(runtime, [
        'run',
        '--source',
        'stepfunctions',
        '--endpoint',
        sfn.emulator.endpoint,
        // A name resolves through ListActivities; an ARN is used as it is.
        '--activity',
        'ShellCommandPrecondition',
        '--activity',
        shell,
        '--concurrency',
        '3',
        '--progress-interval',
        '60s',
        '--shutdown-timeout',
        '5s',
        '--log-format',
        'json',
      ]);
      try {
        const pipelineRun = await sfn.start(created.stateMachineArn);
        // Beat heartbeats every 2 s (heartbeatSeconds 6) against HeartbeatSeconds 1: timed out, caught.
        const beat = await sfn.machine({
          StartAt: 'Beat',
          States: {
            Beat: {
              ...taskState(shell, { command: 'sleep 8; echo beat' }, {}, 6),
              HeartbeatSeconds: 1,
              Catch: [
                { ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.timedOut', Next: 'Recover' },
              ],
              End: true,
            },
            // A loaded machine may be slow to start a shell: the recovery step has no heartbeat deadline.
            Recover: { ...taskState(shell, { command: 'echo recovered' }), End: true },
          },
        });
        const beatRun = await sfn.start(beat);
        const pidFile = join(dir, `held-${runtime}.pid`);
        const hold = await sfn.machine({
          StartAt: 'Hold',
          States: {
            Hold: { ...taskState(shell, { command: `echo $$ > '${pidFile}'; sleep 30` }, {}, 1), End: true },
          },
        });
        const holdRun = await sfn.start(hold);
        await sfn.event(holdRun, 'ActivityStarted', 30_000);
        await sfn.client.send(new StopExecutionCommand({ executionArn: holdRun, cause: 'operator' }));

        const [done, beatDone] = await Promise.all([
          sfn.finished(pipelineRun, 60_000),
          sfn.finished(beatRun, 60_000),
        ]);
        expect(done.status, runner.output()).toBe('SUCCEEDED');
        expect(beatDone.status, runner.output()).toBe('SUCCEEDED');
        expect((await sfn.finished(holdRun)).status).toBe('ABORTED');
        expect(readFileSync(join(dir, 'upper.csv'), 'utf8')).toBe('ID,NAME\n1,ADA\n');

        const events = await sfn.history(pipelineRun);
        const failures = events.filter((e) => e.type === 'ActivityFailed');
        expect(failures).toHaveLength(1);
        expect(failures[0]!.activityFailedEventDetails?.cause).toContain('busy');
        const beats = await sfn.history(beatRun);
        expect(beats.some((e) => e.activityTimedOutEventDetails?.error === 'States.HeartbeatTimeout')).toBe(
          true,
        );
        // Both TaskTimedOut answers (the missed heartbeat and StopExecution) reached their handlers through
        // the signal: the commands were stopped and nothing was reported for them.
        await runner.waitForOutput(/task canceled by the service[\s\S]*task canceled by the service/, 15_000);
        const pid = Number(readFileSync(pidFile, 'utf8'));
        await expect.poll(() => alive(pid), { timeout: 10_000 }).toBe(false);
      } finally {
        expect(await runner.stop(10_000)).toBe(0);
      }
    },
    150_000,
  );
});
