import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvReader } from './s3.ts';

/** The base of attempt directories: TASKLANE_WORK_DIR when the host sets it, else the OS temp dir. */
export function workBase(env: EnvReader): string {
  return env('TASKLANE_WORK_DIR') || tmpdir();
}

/**
 * A fresh, private directory for one attempt under `<base>/tasklane-shell/`, named after the attempt
 * so an operator can find it while it runs. Attempt ids contain `@`, `=` and `:`; they are kept readable
 * but filesystem-safe.
 */
export async function createAttemptDir(base: string, attemptId: string): Promise<string> {
  const root = join(base, 'tasklane-shell');
  await mkdir(root, { recursive: true });
  const name = attemptId.replace(/[^A-Za-z0-9._=-]+/g, '_').slice(0, 80);
  return mkdtemp(join(root, `${name}-`));
}

/** Removes an attempt directory; a failure here must never change the task's outcome. */
export async function removeAttemptDir(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch {}
}
