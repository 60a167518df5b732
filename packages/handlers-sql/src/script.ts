import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { reason, SqlErrorId, sqlFailure } from './errors.ts';
import type { EnvReader } from './objects.ts';
import { parseS3Url, readObject } from './s3.ts';

/** Scripts are read whole: they are SQL text, not data. A bigger one is almost certainly a mistake. */
export const MAX_SCRIPT_BYTES = 16 * 1024 * 1024;

/** Reads a `scriptUri`: a local path, `file://…` or `s3://bucket/key`. */
export async function loadScript(uri: string, env: EnvReader, signal?: AbortSignal): Promise<string> {
  try {
    const s3 = parseS3Url(uri);
    if (!s3) {
      const path = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
      const text = await readFile(path, { encoding: 'utf8', signal });
      if (text.length > MAX_SCRIPT_BYTES) throw new Error(`larger than ${MAX_SCRIPT_BYTES} bytes`);
      return text;
    }
    const body = await readObject(env, s3.bucket, s3.key, signal);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_SCRIPT_BYTES) throw new Error(`larger than ${MAX_SCRIPT_BYTES} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    throw sqlFailure(SqlErrorId.ScriptUnavailable, `scriptUri ${uri} could not be read: ${reason(error)}`, {
      cause: error,
    });
  }
}
