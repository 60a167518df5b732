import type { RuntimePrimitives } from '@tasklane/core';
import { nodeCompatibleHost } from './host.ts';
import { nodeSpawn } from './node-spawn.ts';

declare const Bun: { readonly version: string };

/**
 * Runtime primitives for Bun.
 *
 * Processes are spawned through Bun's node:child_process, not Bun.spawn. Both put the child in its own
 * process group (`detached`), but Bun.spawn (1.4) reads a pipe eagerly until the first read: 200 MB
 * written before the consumer started reading ended up in memory. node:child_process honours pause(),
 * so output stays bounded whatever the consumer's timing.
 */
export function createRuntime(): RuntimePrimitives {
  return { name: 'bun', version: Bun.version, ...nodeCompatibleHost(), spawn: nodeSpawn };
}

export type { RuntimePrimitives } from '@tasklane/core';
