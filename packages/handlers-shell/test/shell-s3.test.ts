/**
 * The S3 paths of the shell handlers against the emulator's S3 (same port as its Data Pipeline API),
 * reached as a real deployment reaches S3: the SDK's default chain and the standard AWS_ENDPOINT_URL_S3.
 * Set-up and checks go through @aws-sdk/client-s3 too, except the bulk objects of the paging test.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { RuntimePrimitives } from '@tasklane/core';
import { emulatorClientConfig, emulatorEnv, startEmulator, type Emulator } from '@tasklane/emulator';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellErrorId } from '../src/index.ts';
import { S3_PART_BYTES } from '../src/s3.ts';
import { currentRuntime, expectedRuntime, runHandler, shellTask } from './harness.ts';

let runtime: RuntimePrimitives;
let emulator: Emulator;
let s3: S3Client;
let dir: string;
let env: Record<string, string>;
const saved: Record<string, string | undefined> = {};

async function put(key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: key, Body: body }));
}
async function get(key: string): Promise<string> {
  const reply = await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: key }));
  return reply.Body!.transformToString();
}

const dataNode = (id: string, field: 'directoryPath' | 'filePath', value: string) => ({
  id,
  name: id,
  fields: [
    { key: 'type', stringValue: 'S3DataNode' },
    { key: field, stringValue: value },
  ],
});

beforeAll(async () => {
  runtime = await currentRuntime();
  emulator = await startEmulator({ s3Buckets: ['bucket'] });
  s3 = new S3Client(emulatorClientConfig(emulator));
  dir = mkdtempSync(join(tmpdir(), 'tl-s3-'));
  // The SDK inside the handler reads credentials and the endpoint from the process environment, as it
  // would on a host; the handler reads its own settings through ctx.runtime.env, which sees them too.
  for (const [name, value] of Object.entries(emulatorEnv(emulator))) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  env = { TASKLANE_WORK_DIR: join(dir, 'work') };
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  s3?.destroy();
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`S3 locations on ${expectedRuntime} (emulator S3)`, () => {
  it('downloads and runs an s3:// scriptUri, uploads s3:// stdout and stderr at the end', async () => {
    await put('scripts/hello.sh', 'echo "hello $1"; echo "warn" >&2\n');
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
    expect(await get('logs/out.txt')).toBe('hello s3 world\n');
    expect(await get('logs/err.txt')).toBe('warn\n');
  });

  it('a missing s3:// script is FAILED ShellScriptUnavailable naming the URI', async () => {
    const { outcome } = await runHandler(
      shellTask('ShellCommandActivity', { scriptUri: 's3://bucket/nope.sh' }),
      {
        runtime,
        env,
      },
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.ScriptUnavailable });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('s3://bucket/nope.sh');
  });

  it('stages an s3 input prefix in and an output directory out', async () => {
    await put('in/a.txt', 'one\n');
    await put('in/sub/b.txt', 'two\n');
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
        {
          In: dataNode('In', 'directoryPath', 's3://bucket/in/'),
          Out: dataNode('Out', 'directoryPath', 's3://bucket/out'),
        },
      ),
      { runtime, env },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(await get('out/joined.txt')).toBe('one\ntwo\n');
  });

  it('stages an input prefix of more than one ListObjectsV2 page (1,000 keys)', async () => {
    // 1,100 folder markers (skipped, never downloaded) push the real files onto the second page.
    emulator.s3!.putObject('bucket', 'many/0-first.txt', 'first\n');
    for (let i = 0; i < 1100; i++)
      emulator.s3!.putObject('bucket', `many/a-${String(i).padStart(5, '0')}/`, '');
    emulator.s3!.putObject('bucket', 'many/z/last.txt', 'last\n');
    const { outcome } = await runHandler(
      shellTask(
        'ShellCommandActivity',
        {
          command:
            'cd "$INPUT1_STAGING_DIR" && find . -type f | sort > "$OUTPUT1_STAGING_DIR/listing" && cat 0-first.txt z/last.txt >> "$OUTPUT1_STAGING_DIR/listing"',
          stage: 'true',
          input: { ref: 'Many' },
          output: { ref: 'Listing' },
        },
        {
          Many: dataNode('Many', 'directoryPath', 's3://bucket/many'),
          Listing: dataNode('Listing', 'filePath', 's3://bucket/many-listing.txt'),
        },
      ),
      { runtime, env },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(await get('many-listing.txt')).toBe('./0-first.txt\n./z/last.txt\nfirst\nlast\n');
  });

  it('uploads an output larger than one part as a multipart upload, byte for byte', async () => {
    const bytes = S3_PART_BYTES * 2 + 12_345;
    const copy = join(dir, 'big-copy.bin');
    const requestsBefore = emulator.control.observations().requests;
    const { outcome } = await runHandler(
      shellTask(
        'ShellCommandActivity',
        {
          command: `head -c ${bytes} /dev/urandom > "$OUTPUT1_STAGING_DIR/big.bin" && cp "$OUTPUT1_STAGING_DIR/big.bin" ${copy}`,
          stage: 'true',
          output: { ref: 'Big' },
        },
        { Big: dataNode('Big', 'filePath', 's3://bucket/big/big.bin') },
      ),
      { runtime, env },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    const requests = emulator.control.observations().requests;
    const delta = (op: string) => (requests[op] ?? 0) - (requestsBefore[op] ?? 0);
    expect(delta('S3.CreateMultipartUpload')).toBe(1);
    expect(delta('S3.UploadPart')).toBe(3);
    expect(delta('S3.CompleteMultipartUpload')).toBe(1);
    expect(emulator.s3!.openUploads()).toEqual([]);
    const stored = emulator.s3!.getObject('bucket', 'big/big.bin')!;
    expect(stored.byteLength).toBe(bytes);
    expect(Buffer.compare(Buffer.from(stored), readFileSync(copy))).toBe(0);
  });

  it('FAILED ShellStagingFailed when an input data node is not among the task objects', async () => {
    const marker = join(dir, 'should-not-run');
    const { outcome } = await runHandler(
      shellTask('ShellCommandActivity', {
        command: `touch ${marker}`,
        stage: 'true',
        input: { ref: 'Gone' },
      }),
      { runtime, env },
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.StagingFailed });
    if (outcome.status === 'FAILED') expect(outcome.errorMessage).toContain('"Gone"');
  });

  it('FAILED ShellStagingFailed when a data node has no path to stage', async () => {
    const { outcome } = await runHandler(
      shellTask(
        'ShellCommandActivity',
        { command: 'true', stage: 'true', output: { ref: 'NoPath' } },
        { NoPath: { id: 'NoPath', name: 'NoPath', fields: [{ key: 'type', stringValue: 'S3DataNode' }] } },
      ),
      { runtime, env },
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.StagingFailed });
    if (outcome.status === 'FAILED')
      expect(outcome.errorMessage).toContain('NoPath has neither directoryPath nor filePath');
  });
});
