import { hostname } from 'node:os';
import process from 'node:process';
import type { RuntimePrimitives, SpawnOptions } from '@tasklane/core';
import { startThread } from './worker.ts';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * The primitives every runtime can serve through its node:* compatibility layer (Node, Bun and Deno all
 * implement node:os and node:process). Each runtime file adds its own name, version and spawner.
 */
export function nodeCompatibleHost(): Omit<RuntimePrimitives, 'name' | 'version' | 'spawn'> {
  return {
    hostname: () => hostname(),
    env: (name) => process.env[name],
    now: () => Date.now(),
    monotonicNow: () => performance.now(),
    startThread,
    onShutdownSignal(listener) {
      const handlers = SHUTDOWN_SIGNALS.map((signal) => {
        const handler = () => listener(signal);
        process.on(signal, handler);
        return [signal, handler] as const;
      });
      return () => {
        for (const [signal, handler] of handlers) process.off(signal, handler);
      };
    },
  };
}

/**
 * The child's environment: the host's with `options.env` on top, or `options.env` alone with `clearEnv`
 * (a task's scrubbed environment, which must not pick up the runner's variables).
 */
export function mergedEnv(options: SpawnOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (!options.clearEnv) {
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  }
  return options.env ? Object.assign(env, options.env) : env;
}
