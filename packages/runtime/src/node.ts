import process from 'node:process';
import type { RuntimePrimitives } from '@tasklane/core';
import { nodeCompatibleHost } from './host.ts';
import { nodeSpawn } from './node-spawn.ts';

/**
 * Runtime primitives for Node: hostname, environment, clocks, SIGTERM/SIGINT and a process spawner that
 * starts every child in its own process group.
 */
export function createRuntime(): RuntimePrimitives {
  return { name: 'node', version: process.versions.node, ...nodeCompatibleHost(), spawn: nodeSpawn };
}

export type { RuntimePrimitives } from '@tasklane/core';
