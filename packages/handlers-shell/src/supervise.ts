import type { Logger, SpawnedProcess } from '@tasklane/core';

/** How a supervised process ended. */
export interface ProcessEnd {
  readonly code: number | null;
  readonly signal: string | null;
  /** The abort signal fired and the process group was stopped. */
  readonly aborted: boolean;
  /** Processes of the group were still running after the leader exited and had to be stopped. */
  readonly leftovers: boolean;
}

export interface SuperviseOptions {
  readonly signal: AbortSignal;
  /** Time from SIGTERM to SIGKILL, asked when the stop begins (a drain may have shortened it meanwhile). */
  readonly killGraceMs: () => number;
  readonly logger: Logger;
  readonly onStdout: (chunk: Uint8Array) => Promise<void> | void;
  readonly onStderr: (chunk: Uint8Array) => Promise<void> | void;
}

const POLL_MS = 50;
/** After the group is gone, how long a pipe may stay open (held by a process that left the group). */
const PIPE_DRAIN_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/**
 * SIGTERM to the whole group, SIGKILL to whatever is left after the grace period. With `groupAlive` the
 * wait ends as soon as the group is empty; without it the pipes closing is the best evidence we have.
 */
async function stopGroup(
  child: SpawnedProcess,
  graceMs: number,
  pipesClosed: Promise<unknown>,
  logger: Logger,
): Promise<void> {
  child.killGroup('SIGTERM');
  let gone: boolean;
  if (child.groupAlive) {
    gone = await until(() => !child.groupAlive!(), graceMs);
  } else {
    gone = await Promise.race([
      Promise.all([child.exited, pipesClosed]).then(() => true),
      sleep(graceMs).then(() => false),
    ]);
  }
  if (!gone) {
    logger.warn(
      { pid: child.pid, graceMs },
      'process group still running after SIGTERM and the grace period; sending SIGKILL',
    );
  }
  // Unconditional: cheap when the group is gone, and it catches members that ignored SIGTERM quietly.
  child.killGroup('SIGKILL');
  if (child.groupAlive) await until(() => !child.groupAlive!(), 2000);
}

/**
 * Drains both output streams into their sinks while the process runs (each chunk is awaited, so a slow
 * sink slows the reader and the pipe, never the heap), stops the process group on abort, and leaves no
 * process of the group behind when the leader exits.
 */
export async function superviseProcess(
  child: SpawnedProcess,
  options: SuperviseOptions,
): Promise<ProcessEnd> {
  const { signal, killGraceMs, logger } = options;
  const readers: Array<ReadableStreamDefaultReader<Uint8Array>> = [];
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    sink: (chunk: Uint8Array) => Promise<void> | void,
  ) => {
    const reader = stream.getReader();
    readers.push(reader);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        await sink(value);
      }
    } catch (error) {
      logger.debug({ err: error }, 'output stream ended with an error');
    }
  };
  const pipesClosed = Promise.all([
    pump(child.stdout, options.onStdout),
    pump(child.stderr, options.onStderr),
  ]);

  let stopping: Promise<void> | undefined;
  // Never rejects: it runs from an abort listener, where a rejection would be unhandled and, with no
  // process-wide handler, could end the runner. A group we failed to signal is left to the lifeline.
  const stop = (graceMs: number) =>
    (stopping ??= stopGroup(child, graceMs, pipesClosed, logger).catch((error: unknown) => {
      logger.warn({ pid: child.pid, err: error }, 'could not stop the command process group');
    }));
  const onAbort = () => {
    try {
      const graceMs = killGraceMs();
      logger.info(
        { pid: child.pid, killGraceMs: graceMs },
        'task aborted: stopping the command process group',
      );
      void stop(graceMs);
    } catch (error) {
      logger.warn({ pid: child.pid, err: error }, 'could not stop the command process group');
    }
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  let exit: { code: number | null; signal: string | null };
  let leftovers = false;
  try {
    exit = await child.exited;
    if (!stopping) {
      const lingering = child.groupAlive
        ? child.groupAlive()
        : !(await Promise.race([pipesClosed.then(() => true), sleep(PIPE_DRAIN_MS).then(() => false)]));
      if (lingering && !signal.aborted) {
        leftovers = true;
        logger.warn(
          { pid: child.pid },
          'the command exited but left processes running in its group; stopping them',
        );
        void stop(killGraceMs());
      }
    }
    if (stopping) await stopping;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  // A process that left the group (setsid, daemon) may still hold a pipe; do not wait for it forever.
  const drained = await Promise.race([pipesClosed.then(() => true), sleep(PIPE_DRAIN_MS).then(() => false)]);
  if (!drained) {
    logger.warn({ pid: child.pid }, 'output pipes still open after the process group ended; closing them');
    await Promise.allSettled(readers.map((r) => r.cancel()));
    await pipesClosed;
  }
  return { code: exit.code, signal: exit.signal, aborted: signal.aborted, leftovers };
}
