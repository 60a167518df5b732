import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@tasklane/core';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { S3Location } from './s3-location.ts';

/** Tries per file; a log upload is worth a few retries, never a stuck runner. */
const ATTEMPTS = 4;
const BASE_DELAY_MS = 500;

/** Counts of what the uploader did, for the metric and the tests. */
export interface UploadCounts {
  uploaded: number;
  failed: number;
}

/**
 * Uploads log files to S3 with retries. A failure is counted (`onFailure`, the
 * `tasklane_log_uploads_failed_total` metric) and logged as a warning; it never throws, so nothing
 * waiting on a task's status waits on S3.
 */
export class LogUploader {
  readonly counts: UploadCounts = { uploaded: 0, failed: 0 };
  readonly #client: () => Promise<S3Client>;
  readonly #logger: () => Logger | undefined;
  readonly #onFailure: (kind: string) => void;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #baseDelayMs: number;

  constructor(options: {
    client: () => Promise<S3Client>;
    logger: () => Logger | undefined;
    onFailure?: (kind: string) => void;
    baseDelayMs?: number;
  }) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#onFailure = options.onFailure ?? (() => {});
    this.#baseDelayMs = options.baseDelayMs ?? BASE_DELAY_MS;
  }

  /** Uploads `path` to `location`/`key`; `kind` labels the metric (runner, attempt). True on success. */
  upload(path: string, location: S3Location, key: string, kind: string): Promise<boolean> {
    const job = this.#upload(path, location, key, kind);
    this.#pending.add(job);
    void job.finally(() => this.#pending.delete(job));
    return job;
  }

  async #upload(path: string, location: S3Location, key: string, kind: string): Promise<boolean> {
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.#baseDelayMs * 2 ** (attempt - 1)));
      try {
        const [{ Upload }, client, info] = await Promise.all([
          import('@aws-sdk/lib-storage'),
          this.#client(),
          stat(path),
        ]);
        // lib-storage: a single PUT for a small file, a multipart upload for a large hourly log.
        await new Upload({
          client,
          params: {
            Bucket: location.bucket,
            Key: key,
            Body: info.size === 0 ? '' : createReadStream(path),
            ContentType: 'text/plain',
          },
        }).done();
        this.counts.uploaded++;
        return true;
      } catch (error) {
        lastError = error;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
      }
    }
    this.counts.failed++;
    this.#onFailure(kind);
    this.#logger()?.warn(
      { err: lastError, bucket: location.bucket, key, kind },
      // The key stays a field: attempt keys hold `@`, which a URL in the message would get masked at.
      'log upload failed after retries',
    );
    return false;
  }

  /** Waits for the uploads in flight (at shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
