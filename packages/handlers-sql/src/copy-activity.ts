import { TaskHandler, type Task, type TaskContext } from '@tasklane/core';
import { withSession } from './database/open.ts';
import type { MySqlSession } from './database/mysql-session.ts';
import type { PgSession } from './database/pg-session.ts';
import { SqlErrorId, sqlFailure } from './errors.ts';
import { dataNode, type DataNode, type SqlNode } from './nodes.ts';
import { ObjectResolver } from './objects.ts';
import { writeMySql, type SinkLog } from './copy/sink-mysql.ts';
import { writePg } from './copy/sink-pg.ts';
import { writeS3 } from './copy/sink-s3.ts';
import { mySqlSegment, pgSegment, s3Segments } from './copy/sources.ts';
import type { Segment } from './copy/segment.ts';

/** Progress is published at most this often, however fast rows arrive. */
const PROGRESS_INTERVAL_MS = 2000;

/**
 * Runs a Data Pipeline `CopyActivity` from its `input` data node to its `output` data node: S3 → SQL,
 * SQL → S3, S3 → S3 and SQL → SQL. Data streams end to end, so memory stays flat whatever the size;
 * writes into a database happen in one transaction, so a failed copy leaves nothing behind.
 */
@TaskHandler('CopyActivity')
export class CopyActivity {
  async handle(task: Task, ctx: TaskContext): Promise<void> {
    const env = (name: string) => ctx.runtime.env(name);
    const objects = new ObjectResolver(task, env, ctx.signal);
    const input = await dataNode(await objects.requireRef('input'), objects, env, ctx.signal);
    const output = await dataNode(await objects.requireRef('output'), objects, env, ctx.signal);
    let lastProgress = 0;
    const onRows = (rows: number) => {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = now;
      ctx.reportProgress({ rowsCopied: rows }).catch(() => {});
    };
    ctx.logger.info({ input: describe(input), output: describe(output) }, 'copying');

    const withSource = async <T>(use: (segments: AsyncIterable<Segment>) => Promise<T>): Promise<T> => {
      if (input.kind === 's3') return use(s3Segments(input, env, ctx.signal));
      return withSession(input.spec, ctx, (session) =>
        use(one(session.dialect === 'postgres' ? pgSegment(session, input) : mySqlSegment(session, input))),
      );
    };

    let result: string;
    if (output.kind === 's3') {
      const { key, bytes } = await withSource((segments) => writeS3(output, segments, env, ctx.signal));
      result = `${bytes} bytes to ${output.store === 'local' ? key : `s3://${output.bucket}/${key}`}`;
    } else {
      const rows = await withSource((segments) =>
        withSession(output.spec, ctx, (session) =>
          writeSql(session, output, segments, onRows, ctx.signal, ctx.logger),
        ),
      );
      result = `${rows} rows into ${describe(output)}`;
    }
    ctx.logger.info({ result }, 'copy finished');
    await ctx.reportProgress({ percentComplete: 100 });
  }
}

function writeSql(
  session: PgSession | MySqlSession,
  node: SqlNode,
  segments: AsyncIterable<Segment>,
  onRows: (rows: number) => void,
  signal: AbortSignal,
  log: SinkLog,
): Promise<number> {
  if (!node.table && !node.insertQuery) {
    throw sqlFailure(SqlErrorId.InvalidSpec, `${node.id}: writing needs table (or insertQuery)`, {
      retryable: false,
    });
  }
  return session.dialect === 'postgres'
    ? writePg(session, node, segments, onRows, signal)
    : writeMySql(session, node, segments, onRows, log);
}

async function* one(segment: Segment): AsyncGenerator<Segment> {
  yield segment;
}

function describe(node: DataNode): string {
  return node.kind === 's3' ? node.url : `${node.id} on ${node.spec.label}`;
}
