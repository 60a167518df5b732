import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SqlErrorId, sqlFailure } from '../errors.ts';
import type { S3Node } from '../nodes.ts';

/** Files of a local node: the file itself, or every file under the directory, in name order. */
export async function* localFiles(node: S3Node): AsyncGenerator<string> {
  if (!node.directory) {
    yield node.key;
    return;
  }
  const walk = async function* (dir: string): AsyncGenerator<string> {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      throw sqlFailure(SqlErrorId.S3Failed, `could not list ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) yield* walk(path);
      else if (entry.isFile()) yield path;
    }
  };
  yield* walk(node.key);
}

export function readLocal(path: string) {
  return createReadStream(path);
}

/** True when the file exists, or the directory holds at least one file. */
export async function localExists(node: S3Node): Promise<boolean> {
  if (!node.directory) return (await stat(node.key).catch(() => undefined))?.isFile() ?? false;
  if (!(await stat(node.key).catch(() => undefined))?.isDirectory()) return false;
  for await (const _path of localFiles(node)) return true;
  return false;
}

/** Writes to a temporary name beside the target and renames it, so readers never see half a file. */
export async function writeLocal(path: string, body: AsyncIterable<Uint8Array>, signal?: AbortSignal) {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tasklane-${process.pid}-${Date.now()}.tmp`;
  try {
    await pipeline(body, createWriteStream(temp), { signal });
    await rename(temp, path);
    return (await stat(path)).size;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
