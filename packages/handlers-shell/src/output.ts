import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { reason } from './errors.ts';
import type { Location } from './locations.ts';
import { uploadFile, type EnvReader } from './s3.ts';

/** Where one of the command's streams goes while it runs. */
export interface OutputSink {
  /** Writes a chunk; resolves when it is on disk, which is what paces the reader (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Closes the file and, for s3:// destinations, uploads it unless `upload` is false. */
  close(upload: boolean, signal?: AbortSignal): Promise<void>;
  /** The first write/close problem, if any; the command keeps running (its pipe must keep draining). */
  readonly error: string | undefined;
}

const discard: OutputSink = { write: async () => {}, close: async () => {}, error: undefined };

/**
 * Opens a destination: a local path is appended to (so retries accumulate, like `>>`); an s3:// one is
 * written to a file in the attempt directory and uploaded once the command ended.
 */
export async function openOutput(
  location: Location | undefined,
  stream: 'stdout' | 'stderr',
  attemptDir: string,
  env: EnvReader,
): Promise<OutputSink> {
  if (!location) return discard;
  const path = location.kind === 'file' ? location.path : join(attemptDir, `${stream}.log`);
  const label = location.kind === 'file' ? location.path : location.uri;
  let file: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true });
    file = await open(path, location.kind === 'file' ? 'a' : 'w');
  } catch (error) {
    throw new Error(`cannot open ${stream} destination ${label}: ${reason(error)}`, { cause: error });
  }
  let error: string | undefined;
  return {
    get error() {
      return error;
    },
    async write(chunk) {
      if (error) return;
      try {
        await file.write(chunk);
      } catch (e) {
        error = `writing ${stream} to ${label} failed: ${reason(e)}`;
      }
    },
    async close(upload, signal) {
      try {
        await file.close();
      } catch (e) {
        error ??= `closing ${stream} file ${path} failed: ${reason(e)}`;
      }
      if (location.kind !== 's3' || !upload || error) return;
      try {
        await uploadFile(env, path, location.bucket, location.key, signal);
      } catch (e) {
        error = `uploading ${stream} to ${location.uri} failed: ${reason(e)}`;
      }
    },
  };
}
