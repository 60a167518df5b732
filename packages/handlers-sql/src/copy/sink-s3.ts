import { SqlErrorId, sqlFailure } from '../errors.ts';
import { extensionOf, sameFormat } from '../format/data-format.ts';
import type { S3Node } from '../nodes.ts';
import type { EnvReader } from '../objects.ts';
import { writeObject } from '../s3-upload.ts';
import { reformat, type Segment } from './segment.ts';
import { writeLocal } from './local-files.ts';
import { through } from './streams.ts';
import { isTaskFailure } from '../errors.ts';

/** Where a copy writes in an S3 node: its filePath, or one object inside its directoryPath. */
export function targetKey(node: S3Node): string {
  return node.directory ? `${node.key}part-00000${extensionOf(node.format, node.gzip)}` : node.key;
}

/**
 * Streams every segment into one object of the node, reformatted when the source's format differs and
 * gzipped when the node says so. Nothing is held whole: parts go up as they fill.
 */
export async function writeS3(
  node: S3Node,
  segments: AsyncIterable<Segment>,
  env: EnvReader,
  signal?: AbortSignal,
): Promise<{ key: string; bytes: number }> {
  const key = targetKey(node);
  async function* body(): AsyncGenerator<Uint8Array> {
    for await (const segment of segments) {
      yield* (sameFormat(segment.format, node.format) ? segment : reformat(segment, node.format)).chunks;
    }
  }
  let failure: unknown;
  // Source failures (a malformed row, a query error) must surface as themselves, not as an S3 error.
  async function* guarded(): AsyncGenerator<Uint8Array> {
    try {
      yield* body();
    } catch (error) {
      failure = error;
      throw error;
    }
  }
  try {
    const data = node.gzip ? through(guarded(), 'gzip') : guarded();
    const bytes =
      node.store === 'local'
        ? await writeLocal(key, data, signal)
        : await writeObject(env, node.bucket, key, data, signal);
    return { key, bytes };
  } catch (error) {
    if (failure !== undefined) throw failure;
    if (isTaskFailure(error)) throw error;
    throw sqlFailure(
      SqlErrorId.S3Failed,
      `could not write s3://${node.bucket}/${key}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
