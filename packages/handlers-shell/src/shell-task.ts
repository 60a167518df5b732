import { taskEnvironment, type Task, type TaskContext, type TaskEnvPolicy } from '@tasklane/core';
import { ShellErrorId, reason, shellFailure } from './errors.ts';
import { LineLogger } from './line-logger.ts';
import { bounded, MAX_MESSAGE_CHARS, printable } from './message.ts';
import { openOutput, type OutputSink } from './output.ts';
import type { EnvReader } from './s3.ts';
import { prepareScript } from './script.ts';
import { cappedKillGrace, readShellSpec, type ShellSpec } from './spec.ts';
import { prepareStaging, type Staging } from './staging.ts';
import { superviseProcess } from './supervise.ts';
import { TailBuffer } from './tail-buffer.ts';
import { createAttemptDir, removeAttemptDir } from './workdir.ts';

/** Bytes of stderr quoted in a failure message. */
export const STDERR_TAIL_BYTES = 2048;

/** What running a shell task produced, for the handler to turn into an outcome. */
export interface ShellRun {
  readonly code: number | null;
  readonly signal: string | null;
  readonly aborted: boolean;
  /** The last {@link STDERR_TAIL_BYTES} of stderr. */
  readonly stderrTail: string;
  readonly stdoutBytes: number;
  readonly stderrBytes: number;
  /** "command" or "script <uri>", for messages. */
  readonly what: string;
}

function failIfAborted(ctx: TaskContext): void {
  if (ctx.signal.aborted)
    throw shellFailure(
      ShellErrorId.Aborted,
      `stopped before the command started (${ctx.abortReason ?? 'aborted'})`,
    );
}

/** Task metadata every command gets on top of the scrubbed environment (the runner's own TASKLANE_* never). */
function taskVariables(task: Task, ctx: TaskContext, attemptDir: string): Record<string, string> {
  return {
    TASKLANE_TASK_ID: task.taskId,
    TASKLANE_ATTEMPT_ID: task.attemptId,
    TASKLANE_PIPELINE_ID: task.pipelineId,
    TASKLANE_ACTIVITY_TYPE: task.activityType,
    TASKLANE_WORKER_GROUP: ctx.workerGroup,
    TASKLANE_ATTEMPT_DIR: attemptDir,
  };
}

async function argv(
  spec: ShellSpec,
  attemptDir: string,
  env: EnvReader,
  ctx: TaskContext,
): Promise<[string, string[]]> {
  if (spec.command !== undefined) {
    // "$0" is "sh"; the arguments become $1..$n without ever being parsed by a shell.
    return ['/bin/sh', ['-c', spec.command, 'sh', ...spec.args]];
  }
  const source = spec.script!;
  const label = source.kind === 's3' ? source.uri : source.path;
  try {
    const script = await prepareScript(source, attemptDir, env, ctx.signal);
    const [program, ...rest] = script.argv;
    return [program!, [...rest, ...spec.args]];
  } catch (error) {
    failIfAborted(ctx);
    throw shellFailure(ShellErrorId.ScriptUnavailable, `cannot get scriptUri ${label}: ${reason(error)}`, {
      cause: error,
    });
  }
}

/**
 * Runs one shell task attempt: a fresh attempt directory, the script, staging, output destinations,
 * the process in its own group under supervision, output publishing, cleanup.
 */
export async function runShellTask(
  task: Task,
  ctx: TaskContext,
  options: { staging: boolean; envPolicy?: TaskEnvPolicy | undefined },
): Promise<ShellRun> {
  const spawn = ctx.runtime.spawn;
  if (!spawn) {
    throw shellFailure(
      ShellErrorId.SpawnUnavailable,
      `${task.activityType} needs the runtime primitive "spawn" (RuntimePrimitives.spawn), which the host "${ctx.runtime.name}" does not provide; ` +
        'run it with a host that supplies one, e.g. createRuntime() from @tasklane/runtime/node, /bun or /deno',
      { retryable: false },
    );
  }
  const spec = readShellSpec(task, ctx);
  failIfAborted(ctx);
  const env: EnvReader = (name) => ctx.runtime.env(name);
  const log = ctx.logger;
  const attemptDir = await createAttemptDir(spec.workBase, task.attemptId);
  const sinks: OutputSink[] = [];
  try {
    const [program, args] = await argv(spec, attemptDir, env, ctx);
    let staging: Staging | undefined;
    if (options.staging && spec.stage) {
      try {
        staging = await prepareStaging(task, attemptDir, env, ctx.signal);
      } catch (error) {
        failIfAborted(ctx);
        throw shellFailure(ShellErrorId.StagingFailed, `input staging failed: ${reason(error)}`, {
          cause: error,
        });
      }
    }
    let stdoutSink: OutputSink;
    let stderrSink: OutputSink;
    try {
      stdoutSink = await openOutput(spec.stdout, 'stdout', attemptDir, env);
      sinks.push(stdoutSink);
      stderrSink = await openOutput(spec.stderr, 'stderr', attemptDir, env);
      sinks.push(stderrSink);
    } catch (error) {
      throw shellFailure(ShellErrorId.OutputFailed, reason(error), { cause: error });
    }
    failIfAborted(ctx);

    let child;
    try {
      child = spawn(program, args, {
        cwd: attemptDir,
        // The command is the pipeline author's: it gets the allow-list and the operator's opt-ins only.
        env: taskEnvironment(env, options.envPolicy, {
          ...taskVariables(task, ctx, attemptDir),
          ...staging?.env,
        }),
        clearEnv: true,
      });
    } catch (error) {
      throw shellFailure(ShellErrorId.SpawnFailed, `could not start ${program}: ${reason(error)}`, {
        cause: error,
      });
    }
    log.debug({ pid: child.pid, attemptDir }, 'shell command started');
    const tail = new TailBuffer(STDERR_TAIL_BYTES);
    const outLog = new LineLogger(log, 'stdout');
    const errLog = new LineLogger(log, 'stderr');
    let stdoutBytes = 0;
    const end = await superviseProcess(child, {
      signal: ctx.signal,
      killGraceMs: () => cappedKillGrace(spec.killGraceMs, ctx.shutdownDeadline, ctx.runtime.now()),
      logger: log,
      onStdout: (chunk) => {
        stdoutBytes += chunk.byteLength;
        outLog.write(chunk);
        return stdoutSink.write(chunk);
      },
      onStderr: (chunk) => {
        tail.write(chunk);
        errLog.write(chunk);
        return stderrSink.write(chunk);
      },
    });
    outLog.end();
    errLog.end();
    log.debug(
      { code: end.code, signal: end.signal, stdoutBytes, stderrBytes: tail.total },
      'shell command ended',
    );

    const succeeded = !end.aborted && end.code === 0;
    // Destinations are uploaded whatever the exit code (a failing command's output is what one debugs),
    // but not after an abort: the attempt is being given up and must end within its grace period.
    await Promise.all(sinks.map((sink) => sink.close(!end.aborted, ctx.signal)));
    sinks.length = 0;
    const run: ShellRun = {
      code: end.code,
      signal: end.signal,
      aborted: end.aborted,
      stderrTail: tail.text(),
      stdoutBytes,
      stderrBytes: tail.total,
      what:
        spec.command !== undefined
          ? 'command'
          : `script ${bounded(printable(spec.script!.kind === 's3' ? spec.script!.uri : spec.script!.path), 300)}`,
    };
    const outputError = stdoutSink.error ?? stderrSink.error;
    if (outputError && succeeded) throw shellFailure(ShellErrorId.OutputFailed, outputError);
    if (outputError) log.warn({ error: outputError }, 'command output could not be saved');
    if (succeeded && staging) {
      try {
        await staging.publish(ctx.signal);
      } catch (error) {
        throw shellFailure(ShellErrorId.StagingFailed, `output staging failed: ${reason(error)}`, {
          cause: error,
        });
      }
    }
    return run;
  } finally {
    await Promise.allSettled(sinks.map((sink) => sink.close(false)));
    if (spec.keepWorkDir) log.info({ attemptDir }, 'keeping the attempt directory');
    else await removeAttemptDir(attemptDir);
  }
}

/**
 * "exited with code 3" / "was killed by SIGSEGV", plus the stderr tail when there is one, printable (no
 * escape sequences or control bytes) and within {@link MAX_MESSAGE_CHARS}.
 */
export function describeEnd(run: ShellRun): string {
  const how =
    run.code !== null ? `exited with code ${run.code}` : `was killed by ${run.signal ?? 'an unknown signal'}`;
  const tail = printable(run.stderrTail).trimEnd();
  if (tail === '') return `${run.what} ${how} (no stderr output)`;
  const cut =
    run.stderrBytes > STDERR_TAIL_BYTES ? `last ${STDERR_TAIL_BYTES} bytes of ${run.stderrBytes}` : 'stderr';
  return bounded(`${run.what} ${how}; ${cut}:\n${tail}`, MAX_MESSAGE_CHARS);
}
