import { pipeline } from 'node:stream/promises';
import type { PgSession } from '../database/pg-session.ts';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from '../errors.ts';
import { copyCompatible, CSV } from '../format/data-format.ts';
import type { SqlNode } from '../nodes.ts';
import { splitScript } from '../sql/split.ts';
import { malformed, reformat, segmentRows, type Segment } from './segment.ts';
import { pgCsvOptions, tableOf } from './sql-text.ts';

/**
 * Loads every segment into the node's table in ONE transaction: all rows or none. Bytes in a CSV form
 * COPY understands go to `COPY … FROM STDIN` untouched; other formats are re-encoded as CSV on the way.
 * With `insertQuery`, each row is bound to its `?` placeholders instead.
 */
export async function writePg(
  session: PgSession,
  node: SqlNode,
  segments: AsyncIterable<Segment>,
  onRows: (rows: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  const table = node.insertQuery ? node.table : tableOf(node);
  let current = node.id;
  let total = 0;
  await session.run('BEGIN');
  try {
    if (node.createTableSql && !(table && (await pgTableExists(session, table)))) {
      await session.run(node.createTableSql);
    }
    for await (const segment of segments) {
      current = segment.name;
      if (node.insertQuery) {
        total += await insertEach(session, node.insertQuery, segment, (n) => onRows(total + n));
        continue;
      }
      const csv = copyCompatible(segment.format) ? segment : reformat(segment, CSV);
      const copy = session.copyFrom(`COPY ${table} FROM STDIN (${pgCsvOptions(csv.format)})`);
      await pipeline(csv.chunks, copy, { signal });
      total += copy.rowCount;
      onRows(total);
    }
    await session.run('COMMIT');
    return total;
  } catch (error) {
    await session.run('ROLLBACK').catch(() => 0);
    throw copyError(error, current);
  }
}

async function insertEach(
  session: PgSession,
  insertQuery: string,
  segment: Segment,
  onRows: (rows: number) => void,
): Promise<number> {
  const [statement] = splitScript(insertQuery, 'postgres');
  if (!statement) throw sqlFailure(SqlErrorId.InvalidSpec, 'insertQuery is empty', { retryable: false });
  let count = 0;
  for await (const rows of segmentRows(segment, statement.placeholders)) {
    for (const row of rows) {
      try {
        await session.run(statement.sql, row.values);
      } catch (error) {
        // SQLSTATE classes 22 (data exception) and 23 (integrity) are about the row; others are not.
        if (!/^2[23]/.test(String((error as { code?: string }).code))) throw error;
        throw malformed(segment.name, row.line, reason(error), error);
      }
      count++;
    }
    onRows(count);
  }
  return count;
}

export async function pgTableExists(session: PgSession, table: string): Promise<boolean> {
  const [row] = await session.rows('SELECT to_regclass($1) IS NOT NULL', [table]);
  return row?.[0] === true;
}

/** COPY reports the failing line in `where` ("COPY people, line 3, column id: …"). */
function copyError(error: unknown, name: string) {
  if (isTaskFailure(error)) return error;
  const where = (error as { where?: string }).where;
  const line = where ? /\bline (\d+)/.exec(where)?.[1] : undefined;
  if (line !== undefined) {
    return malformed(name, Number(line), `${reason(error)}${where ? ` (${where})` : ''}`, error);
  }
  return sqlFailure(SqlErrorId.QueryFailed, `copy into ${name} failed: ${reason(error)}`, { cause: error });
}
