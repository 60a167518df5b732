import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeTask, MockHandlerEnvironment, taskFromDefinition } from '@tasklane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCopyActivity, LocalCopyErrorId } from '../src/index.ts';

let dir: string;
const env = new MockHandlerEnvironment();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tl-copy-'));
  mkdirSync(join(dir, 'in', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'in', 'a.txt'), 'alpha');
  writeFileSync(join(dir, 'in', 'nested', 'b.txt'), 'beta');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalCopyActivity (unit, MockHandlerEnvironment)', () => {
  it('copies a directory tree and reports progress up to 100', async () => {
    const output = join(dir, 'out1');
    const { outcome, progress, logs } = await env.run(
      LocalCopyActivity,
      fakeTask({ type: 'LocalCopyActivity', input: join(dir, 'in'), output }),
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(readFileSync(join(output, 'a.txt'), 'utf8')).toBe('alpha');
    expect(readFileSync(join(output, 'nested', 'b.txt'), 'utf8')).toBe('beta');
    expect(progress.at(0)).toEqual({ percentComplete: 0 });
    expect(progress.at(-1)).toEqual({ percentComplete: 100 });
    expect(logs.some((l) => l.msg === 'copied')).toBe(true);
  });

  it('copies a single file into the output directory', async () => {
    const output = join(dir, 'out2');
    const { outcome } = await env.run(
      LocalCopyActivity,
      fakeTask({ type: 'LocalCopyActivity', input: join(dir, 'in', 'a.txt'), output }),
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(readFileSync(join(output, 'a.txt'), 'utf8')).toBe('alpha');
  });

  it('follows input/output refs to data nodes in a pipeline definition', async () => {
    const output = join(dir, 'out3');
    const task = taskFromDefinition(
      {
        objects: [
          { id: 'Default', name: 'Default', workerGroup: 'wg' },
          { id: 'Source', name: 'Source', type: 'S3DataNode', directoryPath: join(dir, 'in') },
          { id: 'Target', name: 'Target', type: 'S3DataNode', directoryPath: output },
          {
            id: 'Copy',
            name: 'Copy',
            type: 'LocalCopyActivity',
            input: { ref: 'Source' },
            output: { ref: 'Target' },
          },
        ],
      },
      'Copy',
    );
    expect((await env.run(LocalCopyActivity, task)).outcome).toEqual({ status: 'FINISHED' });
    expect(readFileSync(join(output, 'nested', 'b.txt'), 'utf8')).toBe('beta');
  });

  it('missing fields are FAILED, not retryable', async () => {
    const { outcome } = await env.run(
      LocalCopyActivity,
      fakeTask({ type: 'LocalCopyActivity', output: join(dir, 'x') }),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: LocalCopyErrorId.Invalid, retryable: false });
  });

  it('a missing input is FAILED with the path in the message', async () => {
    const { outcome } = await env.run(
      LocalCopyActivity,
      fakeTask({ type: 'LocalCopyActivity', input: join(dir, 'nope'), output: join(dir, 'x') }),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: LocalCopyErrorId.InputMissing });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('nope');
  });

  it('stops promptly when canceled', async () => {
    const big = join(dir, 'big');
    mkdirSync(big);
    for (let i = 0; i < 40; i++) writeFileSync(join(big, `f${i}`), new Uint8Array(4 * 1024 * 1024));
    const running = env.run(
      LocalCopyActivity,
      fakeTask({ type: 'LocalCopyActivity', input: big, output: join(dir, 'big-out') }),
    );
    setTimeout(() => env.cancel(), 30);
    const { outcome, abortReason, settled } = await running;
    expect(abortReason).toBe('canceled');
    expect(settled).toBe(true);
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: LocalCopyErrorId.Aborted });
  });
});
