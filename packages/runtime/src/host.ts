import { hostname } from 'node:os';
import process from 'node:process';
import type { RuntimePrimitives } from '@tasklane/core';

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

/** The host environment with `extra` on top; spawn options add to the environment rather than replace it. */
export function mergedEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return extra ? Object.assign(env, extra) : env;
}
