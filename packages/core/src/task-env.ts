/**
 * The environment a task's processes get. A pipeline author chooses the command a runner executes, so a
 * task must never inherit the runner's own secrets (its Redis URL, ops token, AWS keys): it gets an
 * allow-list of harmless variables, plus exactly the ones the operator opts in.
 */

/** What the operator lets through to tasks beyond {@link TASK_ENV_ALLOWED} (`tasklane run --task-env NAME`). */
export interface TaskEnvPolicy {
  /** Names of runner variables passed to tasks as they are, e.g. `AWS_PROFILE`. Opting in is the only way past the deny-list. */
  readonly optIn: readonly string[];
}

/**
 * Injection token of the {@link TaskEnvPolicy}: the CLI binds `{ optIn }` under it, task handlers that
 * spawn processes inject it with `@inject(TASK_ENV_POLICY) @optional()` (unbound: no opt-ins).
 */
export const TASK_ENV_POLICY = Symbol.for('tasklane.taskEnvPolicy');

/**
 * Passed to every task when the runner has them. What a shell needs to behave as a login shell would
 * (search path, home, locale, time zone, temp dir) and the region, which names no identity. The Java Task
 * Runner adds the staging variables (INPUTn_STAGING_DIR / OUTPUTn_STAGING_DIR) on top; so do our handlers.
 */
export const TASK_ENV_ALLOWED: readonly string[] = Object.freeze([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'LC_COLLATE',
  'LC_NUMERIC',
  'LC_TIME',
  'TZ',
  'TMPDIR',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
]);

/**
 * True for names a task gets only when opted in, even if a future allow-list entry matched them: the
 * runner's own configuration and every kind of AWS credential the SDKs read.
 */
export function isDeniedTaskEnv(name: string): boolean {
  return (
    name.startsWith('TASKLANE_') ||
    /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|PROFILE|WEB_IDENTITY_TOKEN_FILE|ROLE_ARN|CONTAINER_|SHARED_CREDENTIALS_FILE|CONFIG_FILE)/.test(
      name,
    )
  );
}

/**
 * The complete environment of a task's process: the allowed names the runner has, the opted-in names it
 * has, then `extra` (task metadata, staging directories), which wins. `read` looks one runner variable up.
 */
export function taskEnvironment(
  read: (name: string) => string | undefined,
  policy: TaskEnvPolicy | undefined,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of TASK_ENV_ALLOWED) {
    const value = isDeniedTaskEnv(name) ? undefined : read(name);
    if (value !== undefined) env[name] = value;
  }
  for (const name of policy?.optIn ?? []) {
    const value = read(name);
    if (value !== undefined) env[name] = value;
  }
  return Object.assign(env, extra);
}
