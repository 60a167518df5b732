import type { RuntimePrimitives } from '@tasklane/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellErrorId } from '../src/index.ts';
import { startFakeS3, type FakeS3 } from './fake-s3.ts';
import { currentRuntime, expectedRuntime, runHandler, shellTask } from './harness.ts';

let runtime: RuntimePrimitives;
let s3: FakeS3;
let dir: string;
let env: Record<string, string>;
const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

beforeAll(async () => {
  runtime = await currentRuntime();
  s3 = await startFakeS3();
  dir = mkdtempSync(join(tmpdir(), 'tl-s3-'));
  // The SDK reads credentials from its default chain (the process environment).
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  env = { TASKLANE_WORK_DIR: join(dir, 'work'), TASKLANE_S3_ENDPOINT: s3.endpoint, AWS_REGION: 'us-east-1' };
});
afterAll(async () => {
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`S3 locations on ${expectedRuntime}`, () => {
  it('downloads and runs an s3:// scriptUri, uploads s3:// stdout and stderr at the end', async () => {
    s3.objects.set('bucket/scripts/hello.sh', new TextEncoder().encode('echo "hello $1"; echo "warn" >&2\n'));
    const { outcome } = await runHandler(
      shellTask('ShellCommandActivity', {
        scriptUri: 's3://bucket/scripts/hello.sh',
        scriptArgument: ['s3 world'],
        stdout: 's3://bucket/logs/out.txt',
        stderr: 's3://bucket/logs/err.txt',
      }),
      { runtime, env },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(text(s3.objects.get('bucket/logs/out.txt'))).toBe('hello s3 world\n');
    expect(text(s3.objects.get('bucket/logs/err.txt'))).toBe('warn\n');
  });

  it('a missing s3:// script is FAILED ShellScriptUnavailable naming the URI', async () => {
    const { outcome } = await runHandler(
      shellTask('ShellCommandActivity', { scriptUri: 's3://bucket/nope.sh' }),
      { runtime, env },
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.ScriptUnavailable });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('s3://bucket/nope.sh');
  });

  it('stages s3 input prefixes in and output directories out', async () => {
    s3.objects.set('bucket/in/a.txt', new TextEncoder().encode('one\n'));
    s3.objects.set('bucket/in/sub/b.txt', new TextEncoder().encode('two\n'));
    const objects = {
      In: {
        id: 'In',
        name: 'In',
        fields: [
          { key: 'type', stringValue: 'S3DataNode' },
          { key: 'directoryPath', stringValue: 's3://bucket/in/' },
        ],
      },
      Out: {
        id: 'Out',
        name: 'Out',
        fields: [
          { key: 'type', stringValue: 'S3DataNode' },
          { key: 'directoryPath', stringValue: 's3://bucket/out' },
        ],
      },
    };
    const { outcome } = await runHandler(
      shellTask(
        'ShellCommandActivity',
        {
          command:
            'cat "$INPUT1_STAGING_DIR/a.txt" "$INPUT1_STAGING_DIR/sub/b.txt" > "$OUTPUT1_STAGING_DIR/joined.txt"',
          stage: 'true',
          input: { ref: 'In' },
          output: { ref: 'Out' },
        },
        objects,
      ),
      { runtime, env },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(text(s3.objects.get('bucket/out/joined.txt'))).toBe('one\ntwo\n');
  });
});
