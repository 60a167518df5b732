import { TaskHandler, type Task, type TaskContext } from '@tasklane/core';
import { connectionSpec } from './database/config.ts';
import { throwIfAborted, withSession } from './database/open.ts';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from './errors.ts';
import { ObjectResolver } from './objects.ts';
import { loadScript } from './script.ts';
import { splitScript, type Statement } from './sql/split.ts';

/** Progress is published at most this often, and after the last statement. */
const PROGRESS_INTERVAL_MS = 2000;

/**
 * Runs a Data Pipeline `SqlActivity`: the `script` (or the file at `scriptUri`) against the `database`
 * object, one statement at a time in autocommit (a script wanting one transaction writes BEGIN/COMMIT).
 * `scriptArgument` values are bound, in order, to the `?` placeholders across all the statements.
 */
@TaskHandler('SqlActivity')
export class SqlActivity {
  async handle(task: Task, ctx: TaskContext): Promise<void> {
    const env = (name: string) => ctx.runtime.env(name);
    const objects = new ObjectResolver(task, env, ctx.signal);
    const script = task.get('script');
    const scriptUri = task.get('scriptUri');
    if ((script === undefined) === (scriptUri === undefined)) {
      throw sqlFailure(
        SqlErrorId.InvalidSpec,
        'SqlActivity: exactly one of script or scriptUri is required',
        {
          retryable: false,
        },
      );
    }
    if (task.get('queue') !== undefined) {
      ctx.logger.warn(
        { queue: task.get('queue') },
        'SqlActivity: "queue" is a Redshift WLM setting this runner does not apply; ignored',
      );
    }
    const spec = await connectionSpec(await objects.requireRef('database'), env, ctx.signal);
    const text = script ?? (await loadScript(scriptUri!, env, ctx.signal));
    const statements = splitScript(text, spec.dialect);
    const args = task.getAll('scriptArgument');
    const wanted = statements.reduce((sum, s) => sum + s.placeholders, 0);
    if (wanted !== args.length) {
      throw sqlFailure(
        SqlErrorId.ArgumentMismatch,
        `SqlActivity: the script has ${wanted} ? placeholder(s) but ${args.length} scriptArgument(s) were given`,
        { retryable: false },
      );
    }
    if (statements.length === 0) {
      throw sqlFailure(SqlErrorId.InvalidSpec, 'SqlActivity: the script has no statements', {
        retryable: false,
      });
    }
    ctx.logger.info({ database: spec.label, statements: statements.length }, 'running SQL script');
    await withSession(spec, ctx, async (session) => {
      let next = 0;
      let reported = Date.now();
      for (const [index, statement] of statements.entries()) {
        // A statement the server cancelled may still return normally: never go on to the next one.
        throwIfAborted(ctx);
        const params = args.slice(next, next + statement.placeholders);
        next += statement.placeholders;
        const rows = await run(statement, index, statements.length, () => session.run(statement.sql, params));
        ctx.logger.debug({ statement: index + 1, rows }, 'statement done');
        const last = index === statements.length - 1;
        // Progress renews the lease too; a script of many quick statements must not flood the service.
        if (last || Date.now() - reported >= PROGRESS_INTERVAL_MS) {
          reported = Date.now();
          await ctx.reportProgress({ percentComplete: Math.round(((index + 1) / statements.length) * 100) });
        }
      }
    });
  }
}

async function run(statement: Statement, index: number, count: number, go: () => Promise<number>) {
  try {
    return await go();
  } catch (error) {
    if (isTaskFailure(error)) throw error;
    throw sqlFailure(
      SqlErrorId.QueryFailed,
      `statement ${index + 1} of ${count} (script line ${statement.line}) failed: ${reason(error)}`,
      { cause: error },
    );
  }
}
