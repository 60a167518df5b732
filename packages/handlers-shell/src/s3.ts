import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { filesUnder } from './files.ts';

/** Reads settings from the host environment (ctx.runtime.env). */
export type EnvReader = (name: string) => string | undefined;

type S3Module = typeof S3Sdk;

let modulePromise: Promise<S3Module> | undefined;
const clients = new Map<string, S3Client>();

/** The SDK is imported on first use, so tasks that never touch S3 never load it. */
function s3Module(): Promise<S3Module> {
  modulePromise ??= import('@aws-sdk/client-s3');
  return modulePromise;
}

/**
 * One client per region/endpoint. Credentials and region come from the SDK's default chain;
 * TASKLANE_S3_ENDPOINT points at an S3-compatible store (MinIO, LocalStack) with path-style addressing.
 */
async function client(env: EnvReader): Promise<{ sdk: S3Module; s3: S3Client }> {
  const sdk = await s3Module();
  const endpoint = env('TASKLANE_S3_ENDPOINT');
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

/** Streams a local file to one object. Single PUT: objects over 5 GB need multipart upload, not done here. */
export async function uploadFile(
  env: EnvReader,
  path: string,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<void> {
  const { sdk, s3 } = await client(env);
  const { size } = await stat(path);
  await s3.send(
    new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size }),
    { abortSignal: signal },
  );
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
    for (const object of page.Contents ?? []) {
      if (!object.Key || object.Key.endsWith('/')) continue;
      const relativeKey = object.Key.slice(base.length);
      if (relativeKey.split('/').includes('..')) continue; // a key must not escape the staging dir
      await downloadObject(env, bucket, object.Key, join(dir, ...relativeKey.split('/')), signal);
      count++;
    }
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
