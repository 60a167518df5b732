import { copyFile, mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Task, TaskObject } from '@tasklane/core';
import { filesUnder } from './files.ts';
import { parseLocation, type Location } from './locations.ts';
import { downloadObject, downloadPrefix, uploadDirectory, uploadFile, type EnvReader } from './s3.ts';

/** Staging directories of one attempt and the step that publishes outputs after success. */
export interface Staging {
  /** INPUTn_STAGING_DIR / OUTPUTn_STAGING_DIR for the command. */
  readonly env: Record<string, string>;
  /** Copies or uploads OUTPUTn_STAGING_DIR to each output data node. */
  publish(signal: AbortSignal): Promise<void>;
}

/** The data node's directoryPath or filePath, if it has one (S3DataNode and local-path nodes). */
function nodeLocation(node: TaskObject): { location: Location; isDirectory: boolean } | undefined {
  const dir = node.ownValues('directoryPath')?.[0];
  const file = node.ownValues('filePath')?.[0];
  if (dir) return { location: parseLocation(dir, `${node.id}.directoryPath`), isDirectory: true };
  if (file) return { location: parseLocation(file, `${node.id}.filePath`), isDirectory: false };
  return undefined;
}

async function copyTree(from: string, to: string): Promise<void> {
  for (const { path, relativePath } of await filesUnder(from)) {
    const target = join(to, ...relativePath.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await copyFile(path, target);
  }
}

async function stageIn(node: TaskObject, dir: string, env: EnvReader, signal: AbortSignal): Promise<void> {
  const found = nodeLocation(node);
  if (!found) return;
  const { location, isDirectory } = found;
  if (location.kind === 's3') {
    if (isDirectory) await downloadPrefix(env, location.bucket, location.key, dir, signal);
    else await downloadObject(env, location.bucket, location.key, join(dir, basename(location.key)), signal);
  } else if (isDirectory) {
    await copyTree(location.path, dir);
  } else {
    await copyFile(location.path, join(dir, basename(location.path)));
  }
}

async function stageOut(node: TaskObject, dir: string, env: EnvReader, signal: AbortSignal): Promise<void> {
  const found = nodeLocation(node);
  if (!found) return;
  const { location, isDirectory } = found;
  if (isDirectory) {
    if (location.kind === 's3') await uploadDirectory(env, dir, location.bucket, location.key, signal);
    else await copyTree(dir, location.path);
    return;
  }
  // A filePath output takes the one file the command left in its staging directory.
  const files = await filesUnder(dir);
  if (files.length !== 1 || !files[0]) {
    throw new Error(
      `output ${node.id} has filePath, so its staging directory must hold exactly one file; it holds ${files.length}`,
    );
  }
  if (location.kind === 's3') await uploadFile(env, files[0].path, location.bucket, location.key, signal);
  else {
    await mkdir(dirname(location.path), { recursive: true });
    await copyFile(files[0].path, location.path);
  }
}

/**
 * Creates INPUTn_STAGING_DIR / OUTPUTn_STAGING_DIR (n from 1, in the order of the `input` / `output`
 * refs; at least INPUT1 and OUTPUT1) and fills the inputs from their data nodes' directoryPath/filePath.
 * Only data nodes present in the task's objects can be staged.
 */
export async function prepareStaging(
  task: Task,
  attemptDir: string,
  env: EnvReader,
  signal: AbortSignal,
): Promise<Staging> {
  const inputs = task.getRefs('input');
  const outputs = task.getRefs('output');
  const vars: Record<string, string> = {};
  const outDirs: Array<[TaskObject, string]> = [];
  for (let i = 0; i < Math.max(1, inputs.length); i++) {
    const dir = join(attemptDir, 'staging', `input${i + 1}`);
    await mkdir(dir, { recursive: true });
    vars[`INPUT${i + 1}_STAGING_DIR`] = dir;
    const node = inputs[i];
    if (node) await stageIn(node, dir, env, signal);
  }
  for (let i = 0; i < Math.max(1, outputs.length); i++) {
    const dir = join(attemptDir, 'staging', `output${i + 1}`);
    await mkdir(dir, { recursive: true });
    vars[`OUTPUT${i + 1}_STAGING_DIR`] = dir;
    const node = outputs[i];
    if (node) outDirs.push([node, dir]);
  }
  return {
    env: vars,
    async publish(publishSignal) {
      for (const [node, dir] of outDirs) {
        await stat(dir);
        await stageOut(node, dir, env, publishSignal);
      }
    },
  };
}
