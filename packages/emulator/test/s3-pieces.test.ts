/**
 * Objects are stored as the pieces their bodies arrived in (socket reads, multipart parts) and joined
 * only on demand. These check that nothing about that shows through the API: whole and ranged GETs
 * across piece boundaries, CopyObject of a multipart object, the exact S3 ETags, and sizes in listings.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../src/index.ts';
import { closeAll, emulator } from './helpers.ts';

afterEach(closeAll);

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest();
/** Bytes whose every position is recognisable, so a misplaced piece cannot go unnoticed. */
const pattern = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) % 251));

describe('S3 objects kept in pieces', () => {
  it('serve whole and ranged reads across part and read boundaries, with S3 ETags', async () => {
    const { emu } = await emulator({ s3Buckets: ['data'], s3MinPartBytes: 1024 });
    const s3 = new S3Client({ ...emulatorClientConfig(emu), maxAttempts: 1 });
    // Parts large enough to arrive in several socket reads each.
    const parts = [pattern(300_000, 1), pattern(200_000, 2), pattern(5_000, 3)];
    const whole = Buffer.concat(parts);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'data', Key: 'big' }));
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: 'data', Key: 'big', UploadId, PartNumber: i + 1, Body }),
      );
      expect(ETag).toBe(`"${md5(Body).toString('hex')}"`);
      etags.push(ETag!);
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'data',
        Key: 'big',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.ETag).toBe(`"${md5(Buffer.concat(parts.map(md5))).toString('hex')}-3"`);

    const get = async (Range?: string) => {
      const reply = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'big', Range }));
      return Buffer.from(await reply.Body!.transformToByteArray());
    };
    expect((await get()).equals(whole)).toBe(true);
    for (const [start, end] of [
      [0, 0],
      [299_990, 300_010],
      [100, 499_999],
      [499_999, 500_003],
      [65_530, 65_540],
    ] as const) {
      expect((await get(`bytes=${start}-${end}`)).equals(whole.subarray(start, end + 1))).toBe(true);
    }
    expect((await get('bytes=-7')).equals(whole.subarray(whole.length - 7))).toBe(true);
    expect(Buffer.from(emu.s3!.getObject('data', 'big')!).equals(whole)).toBe(true);

    await s3.send(new CopyObjectCommand({ Bucket: 'data', Key: 'copy', CopySource: 'data/big' }));
    const copy = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'copy' }));
    expect(copy.ETag).toBe(`"${md5(whole).toString('hex')}"`);
    expect(Buffer.from(await copy.Body!.transformToByteArray()).equals(whole)).toBe(true);

    const single = pattern(400_000, 9);
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'single', Body: single }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'data' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([
      ['big', whole.length],
      ['copy', whole.length],
      ['single', single.length],
    ]);
    const back = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'single', Range: 'bytes=1000-' }));
    expect(Buffer.from(await back.Body!.transformToByteArray()).equals(single.subarray(1000))).toBe(true);
  });
});
