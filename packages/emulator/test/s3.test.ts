import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  ListBucketsCommand,
  CopyObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { ListPipelinesCommand } from '@aws-sdk/client-data-pipeline';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorClientConfig, emulatorEnv } from '../src/index.ts';
import type { Emulator } from '../src/index.ts';
import { closeAll, emulator, serviceError } from './helpers.ts';

afterEach(closeAll);

function s3For(emu: Emulator): S3Client {
  return new S3Client({ ...emulatorClientConfig(emu), maxAttempts: 1 });
}

describe('S3 on the emulator port', () => {
  it('puts, gets, heads, copies and deletes objects beside the Data Pipeline API', async () => {
    const { emu, client } = await emulator({ s3Buckets: ['data'] });
    const s3 = s3For(emu);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'data',
        Key: 'in/a b+c/ü.txt',
        Body: 'hello',
        ContentType: 'text/plain',
        Metadata: { origin: 'test' },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'in/a b+c/ü.txt' }));
    expect(await got.Body!.transformToString()).toBe('hello');
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ origin: 'test' });
    expect(got.ETag).toBe('"5d41402abc4b2a76b9719d911017c592"');
    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: 'data', Key: 'in/a b+c/ü.txt', Range: 'bytes=1-3' }),
    );
    expect(await ranged.Body!.transformToString()).toBe('ell');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'in/a b+c/ü.txt' }));
    expect(head.ContentLength).toBe(5);
    await s3.send(
      new CopyObjectCommand({ Bucket: 'data', Key: 'copy', CopySource: 'data/in/a%20b%2Bc/%C3%BC.txt' }),
    );
    expect(new TextDecoder().decode(emu.s3!.getObject('data', 'copy'))).toBe('hello');
    await s3.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'copy' }));
    expect(emu.s3!.getObject('data', 'copy')).toBeUndefined();
    const missing = await serviceError(() => s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'nope' })));
    expect(missing.name).toBe('NoSuchKey');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const headMissing = await serviceError(() =>
      s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'nope' })),
    );
    expect(headMissing.name).toBe('NotFound');
    const noBucket = await serviceError(() =>
      s3.send(new PutObjectCommand({ Bucket: 'other', Key: 'k', Body: 'x' })),
    );
    expect(noBucket.name).toBe('NoSuchBucket');
    await s3.send(new CreateBucketCommand({ Bucket: 'other' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([
      'data',
      'other',
    ]);
    // The JSON API still answers on the same port.
    expect((await client.send(new ListPipelinesCommand({}))).pipelineIdList).toEqual([]);
    expect(emu.control.observations().requests['S3.PutObject']).toBe(2);
  });

  it('accepts a streamed body (aws-chunked framing with a trailing checksum)', async () => {
    const { emu } = await emulator({ s3Buckets: ['data'] });
    const s3 = s3For(emu);
    const chunks = ['one,', 'two,', 'three'];
    await s3.send(
      new PutObjectCommand({
        Bucket: 'data',
        Key: 'stream',
        Body: Readable.from(chunks.map((c) => Buffer.from(c))),
        ContentLength: 13,
      }),
    );
    expect(new TextDecoder().decode(emu.s3!.getObject('data', 'stream'))).toBe('one,two,three');
  });

  it('lists with ListObjectsV2 in key order, paginated, with delimiter roll-ups', async () => {
    const { emu } = await emulator({ s3Buckets: ['data'] });
    const s3 = s3For(emu);
    const keys = Array.from({ length: 23 }, (_, i) => `logs/${String(i).padStart(3, '0')}.txt`);
    for (const k of [...keys].reverse()) emu.s3!.putObject('data', k, k);
    emu.s3!.putObject('data', 'logs/sub/x', 'x');
    emu.s3!.putObject('data', 'logs/sub/y', 'y');
    emu.s3!.putObject('data', 'other', 'o');
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 5 },
      { Bucket: 'data', Prefix: 'logs/' },
    )) {
      pages++;
      expect(page.KeyCount).toBeLessThanOrEqual(5);
      for (const o of page.Contents ?? []) seen.push(o.Key!);
    }
    expect(seen).toEqual([...keys, 'logs/sub/x', 'logs/sub/y']);
    expect(pages).toBe(5);
    const first = await s3.send(
      new ListObjectsV2Command({ Bucket: 'data', Prefix: 'logs/', Delimiter: '/', MaxKeys: 23 }),
    );
    expect(first.IsTruncated).toBe(true);
    expect(first.Contents).toHaveLength(23);
    const rest = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'data',
        Prefix: 'logs/',
        Delimiter: '/',
        ContinuationToken: first.NextContinuationToken!,
      }),
    );
    expect(rest.Contents ?? []).toEqual([]);
    expect(rest.CommonPrefixes).toEqual([{ Prefix: 'logs/sub/' }]);
    expect(rest.IsTruncated).toBe(false);
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'data', Delimiter: '/' }));
    expect(top.CommonPrefixes).toEqual([{ Prefix: 'logs/' }]);
    expect(top.Contents?.map((o) => o.Key)).toEqual(['other']);
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'data',
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    expect(emu.s3!.listKeys('data')).toEqual(['logs/sub/x', 'logs/sub/y', 'other']);
  });

  it('joins a multipart upload and enforces the minimum part size', async () => {
    const { emu } = await emulator({ s3Buckets: ['data'], s3MinPartBytes: 1024 });
    const s3 = s3For(emu);
    const part1 = Buffer.alloc(1024, 'a');
    const part2 = Buffer.from('tail');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'data', Key: 'big' }));
    const e1 = await s3.send(
      new UploadPartCommand({ Bucket: 'data', Key: 'big', UploadId, PartNumber: 1, Body: part1 }),
    );
    const e2 = await s3.send(
      new UploadPartCommand({ Bucket: 'data', Key: 'big', UploadId, PartNumber: 2, Body: part2 }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'data',
        Key: 'big',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: e1.ETag! },
            { PartNumber: 2, ETag: e2.ETag! },
          ],
        },
      }),
    );
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(Buffer.from(emu.s3!.getObject('data', 'big')!).equals(Buffer.concat([part1, part2]))).toBe(true);
    const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'data', Key: 'small' }));
    const s1 = await s3.send(
      new UploadPartCommand({
        Bucket: 'data',
        Key: 'small',
        UploadId: small.UploadId,
        PartNumber: 1,
        Body: part2,
      }),
    );
    const s2 = await s3.send(
      new UploadPartCommand({
        Bucket: 'data',
        Key: 'small',
        UploadId: small.UploadId,
        PartNumber: 2,
        Body: part2,
      }),
    );
    const err = await serviceError(() =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'data',
          Key: 'small',
          UploadId: small.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: s1.ETag! },
              { PartNumber: 2, ETag: s2.ETag! },
            ],
          },
        }),
      ),
    );
    expect(err.name).toBe('EntityTooSmall');
    expect(emu.s3!.openUploads()).toHaveLength(1);
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'data', Key: 'small', UploadId: small.UploadId }),
    );
    expect(emu.s3!.openUploads()).toEqual([]);
  });

  it('refuses a single PUT over s3MaxPutBytes with EntityTooLarge', async () => {
    const { emu } = await emulator({ s3Buckets: ['data'], s3MaxPutBytes: 1000 });
    const s3 = s3For(emu);
    const err = await serviceError(() =>
      s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'k', Body: Buffer.alloc(1001) })),
    );
    expect(err.name).toBe('EntityTooLarge');
    expect(emu.s3!.getObject('data', 'k')).toBeUndefined();
  });

  it('rejects a body whose declared checksum does not match (BadDigest), as S3 does', async () => {
    const { emu } = await emulator({ s3Buckets: ['data'] });
    const headers: Array<Record<string, string>> = [
      { 'x-amz-checksum-crc32': 'AAAAAA==' },
      { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' },
    ];
    for (const header of headers) {
      const res = await fetch(`${emu.endpoint}/data/k`, { method: 'PUT', body: 'payload', headers: header });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('<Code>BadDigest</Code>');
    }
    expect(emu.s3!.getObject('data', 'k')).toBeUndefined();
    const long = await fetch(`${emu.endpoint}/data/${'k'.repeat(1025)}`, { method: 'PUT', body: 'x' });
    expect(await long.text()).toContain('<Code>KeyTooLongError</Code>');
    // The real CRC32 of "payload" is accepted.
    const ok = await fetch(`${emu.endpoint}/data/k`, {
      method: 'PUT',
      body: 'payload',
      headers: { 'x-amz-checksum-crc32': Buffer.from([0x42, 0x2c, 0x6a, 0x15]).toString('base64') },
    });
    expect([ok.status, await ok.text()]).toEqual([200, '']);
  });

  it('is reached through AWS_ENDPOINT_URL_S3 with no endpoint in code', async () => {
    const { emu } = await emulator({ s3Buckets: ['data'] });
    const env = emulatorEnv(emu);
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const s3 = new S3Client({ maxAttempts: 1 });
      await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'via-env', Body: 'x' }));
      expect(emu.s3!.listKeys('data')).toEqual(['via-env']);
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
