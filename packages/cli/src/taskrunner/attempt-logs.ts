import {
  Task,
  type HandlerRegistry,
  type Logger,
  type RunnerHooks,
  type TaskHandlerInstance,
} from '@tasklane/core';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerLogFiles } from './log-files.ts';
import { keyUnder, parseS3Uri, type S3Location } from './s3-location.ts';
import type { LogUploader } from './uploads.ts';

/** The files of one attempt, named as the Java runner names them. */
export const ATTEMPT_FILES = ['StdOutput', 'StdError', 'Activity.log'] as const;

/** Activity types whose output the Java runner captures into StdOutput/StdError. */
const SHELL_TYPES = new Set(['ShellCommandActivity', 'ShellCommandPrecondition']);

/** `<pipelineId>/<component>/<instance>/<attempt>`: the Java runner's layout, locally and in S3. */
export function attemptPath(task: Task): string[] {
  const attemptId = task.attemptId;
  const instance = task.attempt.ownRefs('@instanceParent')?.[0] ?? attemptId.replace(/_Attempt=\d+$/, '');
  const component =
    task.attempt.ownRefs('@componentParent')?.[0] ??
    instance.replace(/^@/, '').replace(/_\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, '');
  // A path segment never climbs out of the log directory, whatever the service sent.
  return [task.pipelineId, component, instance, attemptId].map((part) =>
    part === '.' || part === '..' ? '_' : part.replace(/[/\\\0]/g, '_'),
  );
}

/** The task with `stdout`/`stderr` pointing at the attempt's files, unless the pipeline set them. */
function withOutputFiles(task: Task, dir: string): Task {
  const extra = (['stdout', 'stderr'] as const)
    .filter((key) => !task.has(key))
    .map((key) => ({ key, stringValue: join(dir, key === 'stdout' ? 'StdOutput' : 'StdError') }));
  if (extra.length === 0) return task;
  const raw = task.raw;
  const attempt = raw.objects[raw.attemptId]!;
  return new Task({
    ...raw,
    objects: { ...raw.objects, [raw.attemptId]: { ...attempt, fields: [...attempt.fields, ...extra] } },
  });
}

/**
 * The attempt logs of the Java runner: shell output captured to `<output>/logs/<layout>/StdOutput` and
 * `StdError`, the runner's lines about the task to `Activity.log` beside them, all uploaded under the
 * pipeline's `pipelineLogUri` (same layout) once the task's status is reported.
 */
export class AttemptLogs {
  readonly #logsDir: string;
  readonly #files: RunnerLogFiles;
  readonly #uploader: LogUploader;
  readonly #logger: () => Logger | undefined;

  constructor(options: {
    logsDir: string;
    files: RunnerLogFiles;
    uploader: LogUploader;
    logger: () => Logger | undefined;
  }) {
    this.#logsDir = options.logsDir;
    this.#files = options.files;
    this.#uploader = options.uploader;
    this.#logger = options.logger;
  }

  dirOf(task: Task): string {
    return join(this.#logsDir, ...attemptPath(task));
  }

  /**
   * Shell handlers get the output fields: the registry's public `create` is wrapped, since a Task is
   * read-only and core has no hook that rewrites one.
   */
  wrapRegistry(registry: HandlerRegistry): void {
    const create = registry.create.bind(registry);
    registry.create = (activityType: string): TaskHandlerInstance => {
      const handler = create(activityType);
      if (!SHELL_TYPES.has(activityType)) return handler;
      return { handle: (task, ctx) => handler.handle(withOutputFiles(task, this.dirOf(task)), ctx) };
    };
  }

  hooks(): RunnerHooks {
    return {
      onTaskStart: ({ task }) => this.#files.beginAttempt(task.taskId, this.dirOf(task)),
      onTaskEnd: ({ task }) => {
        this.#files.endAttempt(task.taskId);
        // Not awaited: the status is already reported, and an upload never holds up the next task.
        void this.upload(task);
      },
    };
  }

  /** Uploads the attempt's files under `pipelineLogUri`; the local copy goes once all are up. */
  async upload(task: Task): Promise<void> {
    const uri = task.get('pipelineLogUri');
    if (uri === undefined) return;
    let location: S3Location;
    try {
      location = parseS3Uri(uri, 'pipelineLogUri');
    } catch {
      this.#logger()?.warn(
        { pipelineId: task.pipelineId },
        'pipelineLogUri is not an s3:// URI; attempt logs stay local',
      );
      return;
    }
    const dir = this.dirOf(task);
    const parts = attemptPath(task);
    const present = ATTEMPT_FILES.filter((name) => existsSync(join(dir, name)));
    const results = await Promise.all(
      present.map((name) =>
        this.#uploader.upload(join(dir, name), location, keyUnder(location, ...parts, name), 'attempt'),
      ),
    );
    if (results.every(Boolean)) rmSync(dir, { recursive: true, force: true });
  }
}
