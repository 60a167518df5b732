import { portableRuntime, type RuntimePrimitives } from '@tasklane/core';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellErrorId } from '../src/index.ts';
import {
  currentRuntime,
  expectedRuntime,
  memoryLogger,
  runHandler,
  shellTask,
  waitForGroupGone,
} from './harness.ts';

let runtime: RuntimePrimitives;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  runtime = await currentRuntime();
  dir = mkdtempSync(join(tmpdir(), 'tl-shell-'));
  env = { TASKLANE_WORK_DIR: join(dir, 'work') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const activity = (fields: Parameters<typeof shellTask>[1], objects?: Parameters<typeof shellTask>[2]) =>
  shellTask('ShellCommandActivity', fields, objects);

describe(`ShellCommandActivity on ${expectedRuntime}`, () => {
  it('runs on the runtime this test run was meant for', () => {
    expect(runtime.name).toBe(expectedRuntime);
  });

  it('exit 0 is FINISHED, with task ids in the environment and a fresh working directory', async () => {
    const out = join(dir, 'env.txt');
    const task = activity({
      command:
        'echo "$TASKLANE_TASK_ID|$TASKLANE_ATTEMPT_ID|$TASKLANE_PIPELINE_ID|$TASKLANE_ACTIVITY_TYPE|$TASKLANE_WORKER_GROUP"; pwd; ls -A | wc -l',
      stdout: out,
    });
    const { outcome } = await runHandler(task, { runtime, env });
    expect(outcome).toEqual({ status: 'FINISHED' });
    const [ids, cwd, entries] = readFileSync(out, 'utf8').trim().split('\n');
    expect(ids).toBe(`${task.taskId}|${task.attemptId}|df-test|ShellCommandActivity|wg-test`);
    expect(cwd!.startsWith(join(dir, 'work', 'tasklane-shell'))).toBe(true);
    expect(entries!.trim()).toBe('0');
    // The attempt directory is removed once the task ended.
    expect(existsSync(cwd!)).toBe(false);
  });

  it('gives each attempt its own directory', async () => {
    const out = join(dir, 'cwds.txt');
    await runHandler(activity({ command: 'pwd', stdout: out }), { runtime, env });
    await runHandler(activity({ command: 'pwd', stdout: out }), { runtime, env });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toBe(lines[1]);
  });

  it('non-zero exit is FAILED ShellCommandFailed with the exit code and the end of stderr', async () => {
    const { outcome } = await runHandler(
      activity({
        command:
          'i=0; while [ $i -lt 500 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo "the real reason" >&2; exit 3',
      }),
      { runtime, env },
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.CommandFailed });
    if (outcome.status !== 'FAILED') return;
    expect(outcome.errorMessage).toContain('command exited with code 3');
    expect(outcome.errorMessage).toContain('the real reason');
    expect(outcome.errorMessage).toContain('noise line 499');
    expect(outcome.errorMessage).not.toContain('noise line 1\n');
    expect(outcome.errorMessage.length).toBeLessThan(2300);
  });

  it('a command killed by a signal is FAILED and says which signal', async () => {
    const { outcome } = await runHandler(activity({ command: 'kill -SEGV $$' }), { runtime, env });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.CommandFailed });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('killed by SIGSEGV');
  });

  it('passes scriptArgument values intact as $1..$n, with no shell injection', async () => {
    const marker = join(dir, 'pwned');
    const args = [
      'a b',
      `it's "quoted"`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      '; touch ' + marker,
      '*',
      '',
      '  spaces  ',
      'line\nbreak',
    ];
    const out = join(dir, 'args.txt');
    const { outcome } = await runHandler(
      activity({ command: 'printf "[%s]\\n" "$@"; echo "count=$#"', scriptArgument: args, stdout: out }),
      { runtime, env },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(readFileSync(out, 'utf8')).toBe(args.map((a) => `[${a}]\n`).join('') + `count=${args.length}\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('neither command nor scriptUri is FAILED (not retryable) with a clear message', async () => {
    const { outcome } = await runHandler(activity({ stdout: join(dir, 'x') }), { runtime, env });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.InvalidSpec, retryable: false });
    if (outcome.status === 'FAILED')
      expect(outcome.errorMessage).toMatch(/neither "command" nor "scriptUri"/);
  });

  it('both command and scriptUri is FAILED', async () => {
    const { outcome } = await runHandler(activity({ command: 'true', scriptUri: '/bin/true' }), {
      runtime,
      env,
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.InvalidSpec });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('both "command" and "scriptUri"');
  });

  it('fails clearly when the host has no spawn primitive', async () => {
    const { outcome } = await runHandler(activity({ command: 'true' }), { runtime: portableRuntime(), env });
    expect(outcome).toMatchObject({
      status: 'FAILED',
      errorId: ShellErrorId.SpawnUnavailable,
      retryable: false,
    });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('RuntimePrimitives.spawn');
  });

  it('appends stdout and stderr to local files, creating their directory', async () => {
    const out = join(dir, 'logs', 'nested', 'out.log');
    const err = join(dir, 'logs', 'nested', 'err.log');
    const fields = { command: 'echo "out $1"; echo "err $1" >&2', stdout: out, stderr: err };
    await runHandler(activity({ ...fields, scriptArgument: ['one'] }), { runtime, env });
    const { outcome } = await runHandler(activity({ ...fields, scriptArgument: ['two'] }), { runtime, env });
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(readFileSync(out, 'utf8')).toBe('out one\nout two\n');
    expect(readFileSync(err, 'utf8')).toBe('err one\nerr two\n');
  });

  it('an unwritable stdout destination is FAILED ShellOutputFailed', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file, not a directory');
    const { outcome } = await runHandler(activity({ command: 'echo hi', stdout: join(blocker, 'out.log') }), {
      runtime,
      env,
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.OutputFailed });
  });

  it('logs output lines at debug level', async () => {
    const logger = memoryLogger();
    await runHandler(activity({ command: 'echo first; echo second >&2' }), { runtime, env, logger });
    const debug = logger.lines.filter((l) => l.level === 'debug').map((l) => l.msg);
    expect(debug).toContain('first');
    expect(debug).toContain('second');
  });

  it('runs a local scriptUri (path and file://) with arguments, via /bin/sh or its #! line', async () => {
    const plain = join(dir, 'plain.sh');
    writeFileSync(plain, 'echo "plain $1 $#"\n'); // no exec bit, no #!: run by /bin/sh
    const shebang = join(dir, 'shebang.sh');
    writeFileSync(shebang, '#!/bin/sh\necho "shebang $1"\n');
    const out = join(dir, 'script-out.txt');
    expect(
      (
        await runHandler(activity({ scriptUri: plain, scriptArgument: ['x y'], stdout: out }), {
          runtime,
          env,
        })
      ).outcome,
    ).toEqual({ status: 'FINISHED' });
    expect(
      (
        await runHandler(activity({ scriptUri: `file://${shebang}`, scriptArgument: ['z'], stdout: out }), {
          runtime,
          env,
        })
      ).outcome,
    ).toEqual({ status: 'FINISHED' });
    expect(readFileSync(out, 'utf8')).toBe('plain x y 1\nshebang z\n');
  });

  it('a scriptUri that does not exist is FAILED ShellScriptUnavailable', async () => {
    const { outcome } = await runHandler(activity({ scriptUri: join(dir, 'missing.sh') }), { runtime, env });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.ScriptUnavailable });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('missing.sh');
  });

  it('a failing script names the script in the message', async () => {
    const script = join(dir, 'fail.sh');
    writeFileSync(script, 'echo "bad input: $1" >&2; exit 4\n');
    const { outcome } = await runHandler(activity({ scriptUri: script, scriptArgument: ['q'] }), {
      runtime,
      env,
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.CommandFailed });
    if (outcome.status === 'FAILED')
      expect(outcome.errorMessage).toMatch(/script .*fail\.sh exited with code 4; stderr:\nbad input: q/);
  });

  it('stage "true" provides INPUT1/OUTPUT1 staging dirs filled from and published to local data nodes', async () => {
    const input = join(dir, 'in-node');
    mkdirSync(join(input, 'sub'), { recursive: true });
    writeFileSync(join(input, 'a.txt'), 'alpha\n');
    writeFileSync(join(input, 'sub', 'b.txt'), 'beta\n');
    const output = join(dir, 'out-node');
    const objects = {
      InNode: {
        id: 'InNode',
        name: 'InNode',
        fields: [
          { key: 'type', stringValue: 'S3DataNode' },
          { key: 'directoryPath', stringValue: input },
        ],
      },
      OutNode: {
        id: 'OutNode',
        name: 'OutNode',
        fields: [
          { key: 'type', stringValue: 'S3DataNode' },
          { key: 'directoryPath', stringValue: output },
        ],
      },
    };
    const task = activity(
      {
        command:
          'cat "$INPUT1_STAGING_DIR/a.txt" "$INPUT1_STAGING_DIR/sub/b.txt" | tr a-z A-Z > "${OUTPUT1_STAGING_DIR}/result.txt"',
        stage: 'true',
        input: { ref: 'InNode' },
        output: { ref: 'OutNode' },
      },
      objects,
    );
    const { outcome } = await runHandler(task, { runtime, env });
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(readFileSync(join(output, 'result.txt'), 'utf8')).toBe('ALPHA\nBETA\n');
  });

  it('without stage, no staging variables are set', async () => {
    const out = join(dir, 'nostage.txt');
    await runHandler(activity({ command: 'echo "[${INPUT1_STAGING_DIR-unset}]"', stdout: out }), {
      runtime,
      env,
    });
    expect(readFileSync(out, 'utf8')).toBe('[unset]\n');
  });

  it('stops background processes the command left behind', async () => {
    const pidFile = join(dir, 'bg.pid');
    const logger = memoryLogger();
    const { outcome } = await runHandler(
      activity({ command: `sleep 60 > /dev/null 2>&1 & echo $$ > ${pidFile}; exit 0` }),
      { runtime, env, logger },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    const pgid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitForGroupGone(pgid)).toBe(true);
    expect(
      logger.lines.some((l) => l.level === 'warn' && String(l.msg).includes('left processes running')),
    ).toBe(true);
  });

  it('keeps the attempt directory when TASKLANE_KEEP_WORK_DIR is set', async () => {
    const out = join(dir, 'keep.txt');
    await runHandler(activity({ command: 'pwd', stdout: out }), {
      runtime,
      env: { ...env, TASKLANE_KEEP_WORK_DIR: 'true' },
    });
    const kept = readFileSync(out, 'utf8').trim();
    expect(existsSync(kept)).toBe(true);
    expect(readdirSync(join(dir, 'work', 'tasklane-shell'))).toContain(kept.split('/').pop());
  });
});
