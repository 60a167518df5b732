import type { RuntimePrimitives } from '@tasklane/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellErrorId } from '../src/index.ts';
import {
  currentRuntime,
  expectedRuntime,
  groupExists,
  runHandler,
  shellTask,
  waitForFile,
  waitForGroupGone,
} from './harness.ts';

let runtime: RuntimePrimitives;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  runtime = await currentRuntime();
  dir = mkdtempSync(join(tmpdir(), 'tl-cancel-'));
  env = { TASKLANE_WORK_DIR: join(dir, 'work') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`cancellation on ${expectedRuntime}`, () => {
  it('cancel SIGTERMs the process group and SIGKILLs a grandchild that ignores SIGTERM after the grace period', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    // The leader ($$) writes its pid (= the process group id) once the stubborn grandchild is running.
    const command = `sh -c 'trap "" TERM; sleep 60' & sleep 0.2; echo $$ > ${pidFile}; sleep 60`;
    const started = waitForFile(pidFile);
    const run = runHandler(shellTask('ShellCommandActivity', { command, killGracePeriod: '1 second' }), {
      runtime,
      env,
      abortWhen: started,
    });
    const pgid = Number(await started);
    expect(groupExists(pgid)).toBe(true);
    const { outcome, durationMs } = await run;
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.Aborted });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('canceled');
    // The grandchild ignored SIGTERM, so the handler waited out the grace period before SIGKILL.
    expect(durationMs).toBeGreaterThanOrEqual(900);
    expect(durationMs).toBeLessThan(8000);
    expect(await waitForGroupGone(pgid)).toBe(true);
  });

  it('a group that obeys SIGTERM ends well within the grace period', async () => {
    const pidFile = join(dir, 'polite.pid');
    const started = waitForFile(pidFile);
    const run = runHandler(
      shellTask('ShellCommandActivity', { command: `sleep 60 & echo $$ > ${pidFile}; wait` }),
      { runtime, env, abortWhen: started, abortReason: 'attempt-timeout' },
    );
    const pgid = Number(await started);
    const began = Date.now();
    const { outcome } = await run;
    expect(Date.now() - began).toBeLessThan(3000); // default grace is 5 s
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.Aborted });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('attempt-timeout');
    expect(await waitForGroupGone(pgid)).toBe(true);
  });

  it('the grace period can come from TASKLANE_SHELL_KILL_GRACE', async () => {
    const pidFile = join(dir, 'envgrace.pid');
    const started = waitForFile(pidFile);
    const run = runHandler(
      shellTask('ShellCommandActivity', { command: `trap "" TERM; echo $$ > ${pidFile}; sleep 60` }),
      {
        runtime,
        env: { ...env, TASKLANE_SHELL_KILL_GRACE: '300ms' },
        abortWhen: started,
        abortReason: 'shutdown',
      },
    );
    const pgid = Number(await started);
    const { outcome, durationMs } = await run;
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.Aborted });
    expect(durationMs).toBeLessThan(3000);
    expect(await waitForGroupGone(pgid)).toBe(true);
  });

  it('an already aborted signal never starts the command', async () => {
    const marker = join(dir, 'never');
    const { outcome } = await runHandler(shellTask('ShellCommandActivity', { command: `touch ${marker}` }), {
      runtime,
      env,
      abortAfterMs: 0,
      abortWhen: Promise.resolve(),
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.Aborted });
  });
});
