import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { EnvReader } from './objects.ts';

type S3Module = typeof S3Sdk;

let modulePromise: Promise<S3Module> | undefined;
const clients = new Map<string, S3Client>();

/**
 * One client per region. Endpoint, credentials and the rest come from the SDK's standard configuration
 * (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, profiles), so an S3-compatible store needs no Tasklane setting.
 */
export async function s3(env: EnvReader): Promise<{ sdk: S3Module; client: S3Client }> {
  modulePromise ??= import('@aws-sdk/client-s3');
  const sdk = await modulePromise;
  const region = env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1';
  // The SDK reads these itself from process.env; reading them through `env` as well lets a host (or a
  // test) that supplies its own environment point the handlers elsewhere.
  const endpoint = env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL');
  const cacheKey = `${region}|${endpoint ?? ''}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = new sdk.S3Client({ region, ...(endpoint ? { endpoint } : {}) });
    unsignedChecksummedBodies(client);
    clients.set(cacheKey, client);
  }
  return { sdk, client };
}

/**
 * A body that carries its own checksum (the SDK adds CRC32 to every PutObject and UploadPart) is sent with
 * `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead of its SHA-256, as the AWS CLI does for uploads: S3
 * still verifies the bytes through the checksum, and the runner no longer hashes every byte twice (the
 * SHA-256 was a sixth of its CPU on a large export). Headers and the rest of the request stay signed.
 */
function unsignedChecksummedBodies(client: S3Client): void {
  // Last of the build step: after the checksum middleware has set its header, before signing (finalize).
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method?: string; headers?: Record<string, string> };
      const headers = request.headers;
      if (request.method === 'PUT' && headers && Object.keys(headers).some(isChecksumHeader)) {
        headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'tasklaneUnsignedChecksummedBody' },
  );
}

function isChecksumHeader(name: string): boolean {
  return name.toLowerCase().startsWith('x-amz-checksum-');
}

/** `s3://bucket/key` → bucket and key (the key may be empty or end with `/` for a prefix). */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const match = /^s3n?:\/\/([^/]+)\/?(.*)$/.exec(url.trim());
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

/** The object as a Node stream, read as it arrives. */
export async function readObject(
  env: EnvReader,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<Readable> {
  const { sdk, client } = await s3(env);
  const reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), {
    abortSignal: signal,
  });
  const body = reply.Body;
  if (!body) throw new Error(`s3://${bucket}/${key} has no body`);
  if (body instanceof Readable) return body;
  return Readable.fromWeb(body.transformToWebStream() as never);
}

/** True when the object exists (HeadObject); false on 404/NotFound. */
export async function objectExists(env: EnvReader, bucket: string, key: string, signal?: AbortSignal) {
  const { sdk, client } = await s3(env);
  try {
    await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return false;
    throw error;
  }
}

/** Keys under a prefix, page by page, in S3's order; folder markers (`…/`) are skipped. */
export async function* listKeys(
  env: EnvReader,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  const { sdk, client } = await s3(env);
  let token: string | undefined;
  do {
    const page = await client.send(
      new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      { abortSignal: signal },
    );
    for (const object of page.Contents ?? []) {
      if (object.Key && !object.Key.endsWith('/')) yield object.Key;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
