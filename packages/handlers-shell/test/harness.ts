import {
  failureOutcome,
  HandlerRegistry,
  isPreconditionFalse,
  silentLogger,
  Task,
  TASK_ENV_POLICY,
  type AbortReason,
  type Logger,
  type RuntimePrimitives,
  type TaskContext,
  type TaskEnvPolicy,
  type TaskOutcome,
} from '@tasklane/core';
import { readFileSync } from 'node:fs';

export { currentRuntime, expectedRuntime } from '@tasklane/test-utils/harness';

let counter = 0;

/** A task as the runner would hand it over; arrays are repeated fields, `{ ref }` a reference. */
export function shellTask(
  activityType: string,
  fields: Record<string, string | readonly string[] | { ref: string }>,
  objects?: Task['raw']['objects'],
): Task {
  counter++;
  return Task.fromFields({
    taskId: `task-${counter}`,
    pipelineId: 'df-test',
    attemptId: `@Shell${counter}_2024-01-01T00:00:00_Attempt=1`,
    activityType,
    fields,
    objects,
  });
}

export interface RunOptions {
  runtime: RuntimePrimitives;
  /** Extra variables seen through ctx.runtime.env (TASKLANE_WORK_DIR, ...). */
  env?: Record<string, string>;
  /** Abort the signal after this many ms, with this reason. */
  abortAfterMs?: number;
  abortReason?: AbortReason;
  /** Abort as soon as this resolves. */
  abortWhen?: Promise<unknown>;
  logger?: Logger;
  /** Bound under TASK_ENV_POLICY as `tasklane run --task-env` does; unbound when absent. */
  envPolicy?: TaskEnvPolicy;
  /** TaskContext.shutdownDeadline (epoch ms). */
  shutdownDeadline?: number;
}

export interface RunResult {
  outcome: TaskOutcome;
  durationMs: number;
}

/** Builds the handler through a fresh registry (as the runner does) and maps its result like the runner. */
export async function runHandler(task: Task, options: RunOptions): Promise<RunResult> {
  const registry = new HandlerRegistry();
  await registry.loadModule(await import('../src/index.ts'), '@tasklane/handlers-shell');
  if (options.envPolicy) registry.container.bind(TASK_ENV_POLICY).toConstantValue(options.envPolicy);
  const controller = new AbortController();
  let reason: AbortReason | undefined;
  const abort = () => {
    reason ??= options.abortReason ?? 'canceled';
    controller.abort(new Error(`task aborted: ${reason}`));
  };
  const timer = options.abortAfterMs !== undefined ? setTimeout(abort, options.abortAfterMs) : undefined;
  void options.abortWhen?.then(abort);
  const base = options.runtime;
  const runtime: RuntimePrimitives = { ...base, env: (name) => options.env?.[name] ?? base.env(name) };
  const ctx: TaskContext = {
    signal: controller.signal,
    get abortReason() {
      return reason;
    },
    logger: options.logger ?? silentLogger,
    workerGroup: 'wg-test',
    startedAt: Date.now(),
    attemptDeadline: undefined,
    shutdownDeadline: options.shutdownDeadline,
    runtime,
    reportProgress: async () => {},
  };
  const started = Date.now();
  let outcome: TaskOutcome;
  try {
    const result = await registry.create(task.activityType).handle(task, ctx);
    outcome = isPreconditionFalse(result)
      ? { status: 'FALSE', message: result.message }
      : { status: 'FINISHED' };
  } catch (error) {
    outcome = failureOutcome(error, 'TL_HANDLER_FAILED');
  } finally {
    clearTimeout(timer);
  }
  return { outcome, durationMs: Date.now() - started };
}

/** Resolves once `path` exists with non-empty content; returns the content. */
export async function waitForFile(path: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = readFileSync(path, 'utf8');
      if (text.trim() !== '') return text;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** True while `kill -0 -pgid` finds the group (zombies included: that is the strict check the issue asks for). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Waits until `kill -0 -pgid` fails; an init that reaps slowly can keep zombies for about a second. */
export async function waitForGroupGone(pgid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupExists(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Logger that keeps every line, for asserting on what the handler logged. */
export function memoryLogger(): Logger & {
  lines: Array<{ level: string; obj: object | string; msg?: string | undefined }>;
} {
  const lines: Array<{ level: string; obj: object | string; msg?: string | undefined }> = [];
  const make = (): Logger & { lines: typeof lines } => ({
    lines,
    debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void lines.push({ level: 'error', obj, msg }),
    child: () => make(),
  });
  return make();
}
