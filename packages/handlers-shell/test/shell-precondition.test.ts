import type { RuntimePrimitives } from '@tasklane/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellErrorId } from '../src/index.ts';
import { currentRuntime, expectedRuntime, runHandler, shellTask } from './harness.ts';

let runtime: RuntimePrimitives;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  runtime = await currentRuntime();
  dir = mkdtempSync(join(tmpdir(), 'tl-pre-'));
  env = { TASKLANE_WORK_DIR: join(dir, 'work') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const precondition = (fields: Parameters<typeof shellTask>[1]) =>
  shellTask('ShellCommandPrecondition', fields);

describe(`ShellCommandPrecondition on ${expectedRuntime}`, () => {
  it('exit 0 is FINISHED (the condition holds)', async () => {
    const file = join(dir, 'ready');
    writeFileSync(file, 'x');
    expect(
      (await runHandler(precondition({ command: 'test -s "$1"', scriptArgument: [file] }), { runtime, env }))
        .outcome,
    ).toEqual({ status: 'FINISHED' });
  });

  it('non-zero exit is FALSE with the exit code and stderr in the message', async () => {
    const { outcome } = await runHandler(precondition({ command: 'echo "not there yet" >&2; exit 1' }), {
      runtime,
      env,
    });
    expect(outcome.status).toBe('FALSE');
    if (outcome.status === 'FALSE')
      expect(outcome.message).toMatch(/exited with code 1; stderr:\nnot there yet/);
  });

  it('missing command and scriptUri is FAILED, not FALSE', async () => {
    const { outcome } = await runHandler(precondition({}), { runtime, env });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.InvalidSpec });
  });

  it('a command killed by a signal is FAILED, not FALSE', async () => {
    const { outcome } = await runHandler(precondition({ command: 'kill -KILL $$' }), { runtime, env });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.CommandFailed });
  });

  it('a local scriptUri works for preconditions too', async () => {
    const script = join(dir, 'check.sh');
    writeFileSync(script, '[ "$1" = "go" ]\n');
    expect(
      (await runHandler(precondition({ scriptUri: script, scriptArgument: ['go'] }), { runtime, env }))
        .outcome,
    ).toEqual({ status: 'FINISHED' });
    expect(
      (await runHandler(precondition({ scriptUri: script, scriptArgument: ['stop'] }), { runtime, env }))
        .outcome.status,
    ).toBe('FALSE');
  });
});
