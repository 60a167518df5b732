/**
 * In-memory S3 buckets: objects, listing in key order with pagination, and multipart uploads. Limits
 * follow S3 (5 MiB minimum part except the last, 10 000 parts, 5 GiB per PUT) unless configured lower
 * or higher for tests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { objectOf, sizeOf } from './chunks.ts';
import { compareKeys, listSorted } from './listing.ts';
import type { ListRequest, ListResult, S3Object } from './listing.ts';

export type { ListRequest, ListResult, S3Object };

interface Bucket {
  name: string;
  createdAt: number;
  objects: Map<string, S3Object>;
  /** Keys in S3's (UTF-8 binary) order; rebuilt lazily after a change. */
  sorted: string[] | undefined;
}

interface Upload {
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  parts: Map<number, { chunks: readonly Uint8Array[]; size: number; etag: string }>;
}

export interface S3Limits {
  /** Largest PutObject / UploadPart body; default 5 GiB. */
  maxPutBytes: number;
  /** Smallest part of a multipart upload other than the last; default 5 MiB. */
  minPartBytes: number;
}

export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly resource?: string,
  ) {
    super(message);
  }
}

/** S3 limits keys to 1024 bytes of UTF-8. */
function checkKey(key: string): void {
  if (Buffer.byteLength(key) > 1024) throw new S3Error('KeyTooLongError', 400, 'Your key is too long');
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_PARTS = 10_000;

/** A body: one buffer, or the pieces it arrived in (kept as they are, see chunks.ts). */
export type Body = Uint8Array | readonly Uint8Array[];
const piecesOf = (body: Body): readonly Uint8Array[] => (body instanceof Uint8Array ? [body] : body);

function md5(pieces: readonly Uint8Array[]): Buffer {
  const hash = createHash('md5');
  for (const p of pieces) hash.update(p);
  return hash.digest();
}
export class S3Store {
  readonly #buckets = new Map<string, Bucket>();
  readonly #uploads = new Map<string, Upload>();
  readonly limits: S3Limits;
  readonly #now: () => number;

  constructor(limits: Partial<S3Limits> = {}, now: () => number = Date.now) {
    this.limits = { maxPutBytes: 5 * 1024 ** 3, minPartBytes: 5 * 1024 ** 2, ...limits };
    this.#now = now;
  }

  createBucket(name: string): void {
    if (!BUCKET_NAME.test(name) || name.includes('..'))
      throw new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', name);
    if (this.#buckets.has(name))
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        409,
        'Your previous request to create the named bucket succeeded and you already own it.',
        name,
      );
    this.#buckets.set(name, { name, createdAt: this.#now(), objects: new Map(), sorted: undefined });
  }

  deleteBucket(name: string): void {
    const b = this.#bucket(name);
    if (b.objects.size > 0)
      throw new S3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', name);
    this.#buckets.delete(name);
  }

  hasBucket(name: string): boolean {
    return this.#buckets.has(name);
  }

  buckets(): Array<{ name: string; createdAt: number }> {
    return [...this.#buckets.values()].map((b) => ({ name: b.name, createdAt: b.createdAt }));
  }

  put(
    bucket: string,
    key: string,
    body: Body,
    contentType?: string,
    metadata: Record<string, string> = {},
  ): S3Object {
    const b = this.#bucket(bucket);
    checkKey(key);
    const pieces = piecesOf(body);
    this.#checkSize(sizeOf(pieces));
    return this.#store(
      b,
      key,
      objectOf(pieces, {
        etag: `"${md5(pieces).toString('hex')}"`,
        lastModified: this.#now(),
        contentType: contentType ?? 'binary/octet-stream',
        metadata,
      }),
    );
  }

  get(bucket: string, key: string): S3Object {
    const obj = this.#bucket(bucket).objects.get(key);
    if (!obj) throw new S3Error('NoSuchKey', 404, 'The specified key does not exist.', key);
    return obj;
  }

  /** The object, or undefined (for preconditions and the control API). */
  peek(bucket: string, key: string): S3Object | undefined {
    return this.#buckets.get(bucket)?.objects.get(key);
  }

  /** Deleting a missing key succeeds, as in S3. */
  delete(bucket: string, key: string): void {
    const b = this.#bucket(bucket);
    if (b.objects.delete(key)) b.sorted = undefined;
  }

  list(bucket: string, req: ListRequest): ListResult {
    const b = this.#bucket(bucket);
    const keys = (b.sorted ??= [...b.objects.keys()].sort(compareKeys));
    return listSorted(keys, b.objects, req);
  }

  createUpload(
    bucket: string,
    key: string,
    contentType?: string,
    metadata: Record<string, string> = {},
  ): string {
    this.#bucket(bucket);
    checkKey(key);
    const id = randomBytes(24).toString('base64url');
    this.#uploads.set(id, {
      bucket,
      key,
      contentType: contentType ?? 'binary/octet-stream',
      metadata,
      parts: new Map(),
    });
    return id;
  }

  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Body): string {
    const u = this.#upload(bucket, key, uploadId);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS)
      throw new S3Error(
        'InvalidArgument',
        400,
        `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`,
      );
    const chunks = piecesOf(body);
    const size = sizeOf(chunks);
    this.#checkSize(size);
    const etag = `"${md5(chunks).toString('hex')}"`;
    u.parts.set(partNumber, { chunks, size, etag });
    return etag;
  }

  /** Joins the listed parts (ascending, each as uploaded) into the object. */
  complete(
    bucket: string,
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
  ): S3Object {
    const u = this.#upload(bucket, key, uploadId);
    if (parts.length === 0) throw new S3Error('MalformedXML', 400, 'You must specify at least one part.');
    const chosen: Uint8Array[] = [];
    const digests: Buffer[] = [];
    let prev = 0;
    for (const [i, p] of parts.entries()) {
      if (p.partNumber <= prev)
        throw new S3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order.');
      prev = p.partNumber;
      const got = u.parts.get(p.partNumber);
      if (!got || got.etag.replaceAll('"', '') !== p.etag.replaceAll('"', ''))
        throw new S3Error(
          'InvalidPart',
          400,
          `Part ${p.partNumber} could not be found or its ETag does not match.`,
        );
      if (i < parts.length - 1 && got.size < this.limits.minPartBytes)
        throw new S3Error(
          'EntityTooSmall',
          400,
          `Part ${p.partNumber} is smaller than the minimum allowed size (${this.limits.minPartBytes} bytes).`,
        );
      chosen.push(...got.chunks);
      // A part's ETag is its MD5 already; hashing every part again doubled the cost of a large upload.
      digests.push(Buffer.from(got.etag.replaceAll('"', ''), 'hex'));
    }
    const digest = md5(digests);
    this.#uploads.delete(uploadId);
    return this.#store(
      this.#bucket(bucket),
      key,
      objectOf(chosen, {
        etag: `"${digest.toString('hex')}-${parts.length}"`,
        lastModified: this.#now(),
        contentType: u.contentType,
        metadata: u.metadata,
      }),
    );
  }

  abort(bucket: string, key: string, uploadId: string): void {
    this.#upload(bucket, key, uploadId);
    this.#uploads.delete(uploadId);
  }

  /** Multipart uploads started and neither completed nor aborted (tests check for leaks). */
  openUploads(): Array<{ bucket: string; key: string; uploadId: string; parts: number }> {
    return [...this.#uploads].map(([uploadId, u]) => ({
      bucket: u.bucket,
      key: u.key,
      uploadId,
      parts: u.parts.size,
    }));
  }

  /** Drops everything, then re-creates `buckets` (the emulator's `s3Buckets`). */
  reset(buckets: readonly string[] = []): void {
    this.#buckets.clear();
    this.#uploads.clear();
    for (const b of buckets) this.createBucket(b);
  }

  #store(b: Bucket, key: string, obj: S3Object): S3Object {
    if (!b.objects.has(key)) b.sorted = undefined;
    b.objects.set(key, obj);
    return obj;
  }

  #checkSize(n: number): void {
    if (n > this.limits.maxPutBytes)
      throw new S3Error(
        'EntityTooLarge',
        400,
        `Your proposed upload exceeds the maximum allowed size (${this.limits.maxPutBytes} bytes).`,
      );
  }

  #bucket(name: string): Bucket {
    const b = this.#buckets.get(name);
    if (!b) throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', name);
    return b;
  }

  #upload(bucket: string, key: string, uploadId: string): Upload {
    this.#bucket(bucket);
    const u = this.#uploads.get(uploadId);
    if (!u || u.bucket !== bucket || u.key !== key)
      throw new S3Error(
        'NoSuchUpload',
        404,
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        uploadId,
      );
    return u;
  }
}
