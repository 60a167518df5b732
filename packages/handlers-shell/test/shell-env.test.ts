import { TASK_ENV_ALLOWED, type RuntimePrimitives } from '@tasklane/core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRuntime, expectedRuntime, runHandler, shellTask } from './harness.ts';

// Secrets as a runner really holds them: in its own process environment, which spawners used to inherit.
const SECRETS = {
  TASKLANE_REDIS_URL: 'redis://:hunter2@10.0.0.5:6379',
  TASKLANE_HTTP_TOKEN: 'ops-token-secret',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLESECRET',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: 'session-token-secret',
  AWS_PROFILE: 'prod-admin',
  MY_APP_DSN: 'postgres://app:pw@db/app',
};

let runtime: RuntimePrimitives;
let dir: string;
const saved: Record<string, string | undefined> = {};

/** `env -0` of the command, as name → value. */
function readEnvDump(path: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of readFileSync(path, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return vars;
}

beforeAll(async () => {
  runtime = await currentRuntime();
  dir = mkdtempSync(join(tmpdir(), 'tl-shell-env-'));
  for (const [name, value] of Object.entries(SECRETS)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  saved.TZ = process.env.TZ;
  process.env.TZ = 'Europe/Paris';
});
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function environmentOf(options: { optIn?: string[]; stage?: boolean } = {}) {
  const out = join(dir, `env-${Math.random().toString(36).slice(2)}.bin`);
  const task = shellTask('ShellCommandActivity', {
    command: 'env -0',
    stdout: out,
    ...(options.stage ? { stage: 'true' } : {}),
  });
  const { outcome } = await runHandler(task, {
    runtime,
    env: { TASKLANE_WORK_DIR: join(dir, 'work') },
    ...(options.optIn ? { envPolicy: { optIn: options.optIn } } : {}),
  });
  expect(outcome).toEqual({ status: 'FINISHED' });
  return { vars: readEnvDump(out), task };
}

describe(`task environment on ${expectedRuntime}`, () => {
  it('gives the command the allow-list and task metadata, never the runner secrets', async () => {
    const { vars, task } = await environmentOf({ stage: true });
    for (const name of Object.keys(SECRETS)) expect(vars.has(name), name).toBe(false);
    for (const value of Object.values(SECRETS)) {
      expect([...vars.values()].some((v) => v.includes(value))).toBe(false);
    }
    expect(vars.get('PATH')).toBe(process.env.PATH);
    expect(vars.get('TZ')).toBe('Europe/Paris');
    expect(vars.get('TASKLANE_TASK_ID')).toBe(task.taskId);
    expect(vars.get('INPUT1_STAGING_DIR')).toMatch(/staging[/\\]input1$/);
    expect(vars.get('OUTPUT1_STAGING_DIR')).toMatch(/staging[/\\]output1$/);
    // Nothing beyond what the policy explains: the allow-list, our task variables, staging, and what
    // /bin/sh itself sets (PWD, SHLVL, _).
    const explained = (name: string) =>
      TASK_ENV_ALLOWED.includes(name) ||
      /^TASKLANE_(TASK_ID|ATTEMPT_ID|PIPELINE_ID|ACTIVITY_TYPE|WORKER_GROUP|ATTEMPT_DIR)$/.test(name) ||
      /^(INPUT|OUTPUT)\d+_STAGING_DIR$/.test(name) ||
      ['PWD', 'OLDPWD', 'SHLVL', '_'].includes(name);
    expect([...vars.keys()].filter((name) => !explained(name))).toEqual([]);
  });

  it('passes exactly the variables the operator opts in, credentials included', async () => {
    const { vars } = await environmentOf({ optIn: ['AWS_PROFILE', 'MY_APP_DSN', 'NOT_SET_ANYWHERE'] });
    expect(vars.get('AWS_PROFILE')).toBe(SECRETS.AWS_PROFILE);
    expect(vars.get('MY_APP_DSN')).toBe(SECRETS.MY_APP_DSN);
    expect(vars.has('NOT_SET_ANYWHERE')).toBe(false);
    expect(vars.has('AWS_SECRET_ACCESS_KEY')).toBe(false);
    expect(vars.has('TASKLANE_REDIS_URL')).toBe(false);
  });

  it('applies to preconditions too', async () => {
    const task = shellTask('ShellCommandPrecondition', {
      command: 'test -z "$AWS_SECRET_ACCESS_KEY" && test -z "$TASKLANE_REDIS_URL" && test -n "$PATH"',
    });
    const { outcome } = await runHandler(task, { runtime, env: { TASKLANE_WORK_DIR: join(dir, 'work') } });
    expect(outcome).toEqual({ status: 'FINISHED' });
  });
});
