import type * as S3Sdk from '@aws-sdk/client-s3';
import type * as Storage from '@aws-sdk/lib-storage';
import type { S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { filesUnder } from './files.ts';

/** Reads settings from the host environment (ctx.runtime.env). */
export type EnvReader = (name: string) => string | undefined;

type S3Module = typeof S3Sdk;
type StorageModule = typeof Storage;

let modulePromise: Promise<S3Module> | undefined;
let storagePromise: Promise<StorageModule> | undefined;
const clients = new Map<string, S3Client>();

/** The SDK is imported on first use, so tasks that never touch S3 never load it. */
function s3Module(): Promise<S3Module> {
  modulePromise ??= import('@aws-sdk/client-s3');
  return modulePromise;
}

/**
 * Part size of multipart uploads. S3 takes at most 10,000 parts and a single PUT of at most 5 GiB, so a
 * file larger than one part goes up in parts, as large as it takes to stay within 10,000.
 */
export const S3_PART_BYTES = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** Parts uploaded at once; memory held is at most this many parts. */
const PART_QUEUE = 4;
/** Objects of a prefix downloaded at once. */
const DOWNLOADS_AT_ONCE = 8;

/**
 * One client per region/endpoint. Credentials and region come from the SDK's default chain. The endpoint
 * is the standard `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`), or TASKLANE_S3_ENDPOINT; a custom
 * endpoint is an S3-compatible store (the emulator, MinIO, LocalStack), addressed path-style.
 */
async function client(env: EnvReader): Promise<{ sdk: S3Module; s3: S3Client }> {
  const sdk = await s3Module();
  const endpoint = env('TASKLANE_S3_ENDPOINT') ?? env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL');
  const region = env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1';
  const cacheKey = `${region}|${endpoint ?? ''}`;
  let s3 = clients.get(cacheKey);
  if (!s3) {
    s3 = new sdk.S3Client({ region, ...(endpoint ? { endpoint, forcePathStyle: true } : {}) });
    clients.set(cacheKey, s3);
  }
  return { sdk, s3 };
}

/** Streams one object to `path` (never held whole in memory). */
export async function downloadObject(
  env: EnvReader,
  bucket: string,
  key: string,
  path: string,
  signal?: AbortSignal,
): Promise<void> {
  const { sdk, s3 } = await client(env);
  const reply = await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), {
    abortSignal: signal,
  });
  if (!reply.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  await mkdir(dirname(path), { recursive: true });
  const reader = reply.Body.transformToWebStream().getReader();
  const file = await open(path, 'w');
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await file.write(value);
    }
  } finally {
    reader.releaseLock();
    await file.close();
  }
}

/**
 * Streams a local file to one object: a single PUT up to {@link S3_PART_BYTES}, a multipart upload
 * (`@aws-sdk/lib-storage`) above it, which is what makes objects over 5 GB possible at all. A failed or
 * aborted multipart upload is aborted on the service too, so no parts are left billed.
 */
export async function uploadFile(
  env: EnvReader,
  path: string,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<void> {
  const { s3 } = await client(env);
  storagePromise ??= import('@aws-sdk/lib-storage');
  const { Upload } = await storagePromise;
  const { size } = await stat(path);
  signal?.throwIfAborted();
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
    partSize: Math.max(S3_PART_BYTES, Math.ceil(size / MAX_PARTS)),
    queueSize: PART_QUEUE,
    leavePartsOnError: false,
  });
  const onAbort = () => void upload.abort().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Downloads every object under `prefix` into `dir`, keeping the key layout below the prefix. */
export async function downloadPrefix(
  env: EnvReader,
  bucket: string,
  prefix: string,
  dir: string,
  signal?: AbortSignal,
): Promise<number> {
  const { sdk, s3 } = await client(env);
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  let token: string | undefined;
  let count = 0;
  do {
    const page = await s3.send(
      new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: base, ContinuationToken: token }),
      { abortSignal: signal },
    );
    const keys: string[] = [];
    for (const object of page.Contents ?? []) {
      if (!object.Key || object.Key.endsWith('/')) continue;
      // A key must not escape the staging directory.
      if (object.Key.slice(base.length).split('/').includes('..')) continue;
      keys.push(object.Key);
    }
    // A few objects at a time: one round trip each, so a prefix of many small files is latency-bound.
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await downloadObject(env, bucket, key, join(dir, ...key.slice(base.length).split('/')), signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DOWNLOADS_AT_ONCE, keys.length) }, worker));
    count += keys.length;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return count;
}

/** Uploads every file under `dir` to `prefix`, keeping the directory layout. */
export async function uploadDirectory(
  env: EnvReader,
  dir: string,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<number> {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  let count = 0;
  for (const { path, relativePath } of await filesUnder(dir)) {
    await uploadFile(env, path, bucket, base + relativePath, signal);
    count++;
  }
  return count;
}
