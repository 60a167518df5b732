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

/**
 * The data node's directoryPath or filePath (S3DataNode and local-path nodes). A node with neither is an
 * error: staging it silently as nothing would let the task "succeed" on no input, or lose its output.
 */
function nodeLocation(node: TaskObject, role: string): { location: Location; isDirectory: boolean } {
  const dir = node.ownValues('directoryPath')?.[0];
  const file = node.ownValues('filePath')?.[0];
  if (dir) return { location: parseLocation(dir, `${node.id}.directoryPath`), isDirectory: true };
  if (file) return { location: parseLocation(file, `${node.id}.filePath`), isDirectory: false };
  throw new Error(
    `${role} data node ${node.id} has neither directoryPath nor filePath, so it cannot be staged`,
  );
}

/** Follows `parent` / `@componentParent` as core's Task lookups do, to the first object that sets `key`. */
function refIds(task: Task, key: string): readonly string[] {
  const seen = new Set<string>();
  let frontier: TaskObject[] = [task.attempt];
  while (frontier.length > 0) {
    const next: TaskObject[] = [];
    for (const object of frontier) {
      if (seen.has(object.id)) continue;
      seen.add(object.id);
      const found = object.ownRefs(key);
      if (found) return found;
      for (const parentKey of ['parent', '@componentParent']) {
        for (const id of object.ownRefs(parentKey) ?? []) {
          const parent = task.objects.get(id);
          if (parent) next.push(parent);
        }
      }
    }
    frontier = next;
  }
  return [];
}

/** The data nodes `key` refers to; one the task's objects do not hold fails staging, naming field and id. */
function dataNodes(task: Task, key: 'input' | 'output'): TaskObject[] {
  return refIds(task, key).map((id) => {
    const node = task.objects.get(id);
    if (!node) {
      throw new Error(
        `${key} refers to data node "${id}", which is not among the task's objects; the service (or emulator) must send the objects an attempt references`,
      );
    }
    return node;
  });
}

async function copyTree(from: string, to: string): Promise<void> {
  for (const { path, relativePath } of await filesUnder(from)) {
    const target = join(to, ...relativePath.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await copyFile(path, target);
  }
}

async function stageIn(node: TaskObject, dir: string, env: EnvReader, signal: AbortSignal): Promise<void> {
  const { location, isDirectory } = nodeLocation(node, 'input');
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
  const { location, isDirectory } = nodeLocation(node, 'output');
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
 * A referenced data node missing from the task's objects, or one with no path, throws (the task fails).
 */
export async function prepareStaging(
  task: Task,
  attemptDir: string,
  env: EnvReader,
  signal: AbortSignal,
): Promise<Staging> {
  const inputs = dataNodes(task, 'input');
  const outputs = dataNodes(task, 'output');
  // Checked before the command runs: an output that cannot be published must not cost a whole run.
  for (const node of outputs) nodeLocation(node, 'output');
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
