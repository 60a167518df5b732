import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { RedisErrorCode } from './errors.ts';
import { TasklaneError } from '@tasklane/core';

/** The Lua commands, with their number of KEYS. */
const SCRIPTS = {
  tlAcquire: { file: 'acquire.lua', keys: 5 },
  tlRelease: { file: 'release.lua', keys: 4 },
  tlRenew: { file: 'renew.lua', keys: 1 },
  tlCancel: { file: 'cancel.lua', keys: 4 },
  tlPublish: { file: 'publish.lua', keys: 2 },
  tlUnpublish: { file: 'unpublish.lua', keys: 2 },
  tlFleet: { file: 'fleet.lua', keys: 1 },
  tlGroupStatus: { file: 'group-status.lua', keys: 4 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** A client with the Tasklane scripts defined on it. */
export type ScriptedRedis = Redis & {
  [K in ScriptName]: (...args: (string | number)[]) => Promise<unknown>;
};

let sources: Record<ScriptName, string> | undefined;

function read(file: string): string {
  // Relative to this module: the same path works from src/ (Bun, Deno, vitest) and from dist/ (Node).
  const url = new URL(`../lua/${file}`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (error) {
    throw new TasklaneError(
      RedisErrorCode.ScriptMissing,
      `cannot read Lua script ${url.href}; is the package's lua/ folder installed?`,
      {
        cause: error,
      },
    );
  }
}

/** Reads the Lua files once per process; the shared prelude is prepended to every script. */
export function scriptSources(): Record<ScriptName, string> {
  if (sources) return sources;
  const prelude = read('_prelude.lua');
  const out = {} as Record<ScriptName, string>;
  for (const [name, { file }] of Object.entries(SCRIPTS) as [ScriptName, { file: string }][])
    out[name] = `${prelude}\n${read(file)}`;
  sources = out;
  return out;
}

/**
 * Defines the scripts as commands on a client. ioredis sends EVALSHA and falls back to EVAL once on
 * NOSCRIPT, so after a Redis restart the scripts are reloaded by themselves.
 */
export function defineScripts(redis: Redis): ScriptedRedis {
  const src = scriptSources();
  for (const [name, { keys }] of Object.entries(SCRIPTS) as [ScriptName, { keys: number }][]) {
    if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function')
      redis.defineCommand(name, { numberOfKeys: keys, lua: src[name] });
  }
  return redis as ScriptedRedis;
}
