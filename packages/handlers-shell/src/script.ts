import { chmod, copyFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Location } from './locations.ts';
import { downloadObject, type EnvReader } from './s3.ts';

/** A script in the attempt directory and how to start it. */
export interface PreparedScript {
  readonly path: string;
  /** argv[0..] before the script arguments. */
  readonly argv: readonly string[];
}

async function hasShebang(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(2);
    const { bytesRead } = await file.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x23 && head[1] === 0x21;
  } finally {
    await file.close();
  }
}

/**
 * Copies (local) or downloads (s3://) the script into the attempt directory, so the run never depends on
 * the source changing mid-attempt or on its mode bits. A `#!` line is honoured; anything else runs with
 * /bin/sh, as Data Pipeline's runner does.
 */
export async function prepareScript(
  script: Location,
  attemptDir: string,
  env: EnvReader,
  signal: AbortSignal,
): Promise<PreparedScript> {
  const path = join(attemptDir, 'script');
  if (script.kind === 's3') await downloadObject(env, script.bucket, script.key, path, signal);
  else await copyFile(script.path, path);
  await chmod(path, 0o700);
  return { path, argv: (await hasShebang(path)) ? [path] : ['/bin/sh', path] };
}
