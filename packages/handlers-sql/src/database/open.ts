import type { TaskContext } from '@tasklane/core';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from '../errors.ts';
import { MySqlSession } from './mysql-session.ts';
import { PgSession } from './pg-session.ts';
import type { ConnectionSpec } from './spec.ts';

export type AnySession = PgSession | MySqlSession;

/** Opens a session for the spec; a refused or unreachable database is FAILED naming it and the cause. */
export async function openSession(spec: ConnectionSpec): Promise<AnySession> {
  try {
    return spec.dialect === 'postgres' ? await PgSession.open(spec) : await MySqlSession.open(spec);
  } catch (error) {
    throw sqlFailure(SqlErrorId.ConnectFailed, `could not connect to ${spec.label}: ${reason(error)}`, {
      cause: error,
    });
  }
}

/**
 * Runs `work` on a fresh session tied to the task: the attempt deadline becomes a server-side statement
 * timeout, an abort of `ctx.signal` cancels the running statement on the server, and the session is
 * closed whatever happens. Errors after an abort are reported as {@link SqlErrorId.Aborted}.
 */
export async function withSession<T>(
  spec: ConnectionSpec,
  ctx: Pick<TaskContext, 'signal' | 'abortReason' | 'attemptDeadline' | 'logger'>,
  work: (session: AnySession) => Promise<T>,
): Promise<T> {
  throwIfAborted(ctx);
  const session = await untilAborted(openSession(spec), ctx);
  let cancelling: Promise<void> | undefined;
  const onAbort = () => {
    ctx.logger.info({ database: spec.label }, 'task aborted: cancelling the running statement on the server');
    cancelling = session.cancel().catch((error: unknown) => {
      ctx.logger.warn?.({ database: spec.label, error: reason(error) }, 'could not cancel the statement');
    });
  };
  try {
    if (ctx.attemptDeadline !== undefined) {
      // A backstop only: the runner aborts just before the deadline and we cancel then; this catches a lost runner.
      await session.setStatementTimeout(Math.max(1000, ctx.attemptDeadline - Date.now()) + 5000);
    }
    throwIfAborted(ctx);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const result = await work(session);
    // A cancelled MariaDB SLEEP() (and some other statements) ends as a normal result, not an error.
    throwIfAborted(ctx);
    return result;
  } catch (error) {
    if (ctx.signal.aborted) {
      await cancelling;
      throw abortedFailure(ctx, error);
    }
    throw error;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await session.close();
  }
}

/**
 * The session, unless the task is aborted first (a connection attempt can hang for its whole timeout);
 * a session that opens after that is closed at once.
 */
async function untilAborted(opening: Promise<AnySession>, ctx: Pick<TaskContext, 'signal' | 'abortReason'>) {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortedFailure(ctx, undefined));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([opening, aborted]);
  } catch (error) {
    if (ctx.signal.aborted) opening.then((s) => s.close()).catch(() => {});
    throw error;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort!);
  }
}

export function throwIfAborted(ctx: Pick<TaskContext, 'signal' | 'abortReason'>): void {
  if (ctx.signal.aborted) throw abortedFailure(ctx, undefined);
}

function abortedFailure(ctx: Pick<TaskContext, 'abortReason'>, cause: unknown) {
  const why = ctx.abortReason ?? 'aborted';
  const detail = cause && !isTaskFailure(cause) ? `: ${reason(cause)}` : '';
  return sqlFailure(
    SqlErrorId.Aborted,
    `stopped (${why}); the running statement was cancelled on the server${detail}`,
    { cause },
  );
}
