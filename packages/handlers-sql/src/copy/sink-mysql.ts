import type { MySqlSession } from '../database/mysql-session.ts';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from '../errors.ts';
import type { Row } from '../format/rows.ts';
import type { SqlNode } from '../nodes.ts';
import { splitScript } from '../sql/split.ts';
import { loadSegment } from './mysql-load.ts';
import { malformed, segmentRows, type Segment } from './segment.ts';
import { tableOf } from './sql-text.ts';

/** Rows per multi-row INSERT; prepared statements allow 65,535 placeholders in all. */
const MAX_BATCH_ROWS = 1000;
const MAX_PLACEHOLDERS = 60_000;
/** Server errors about the data of a row (bad value, too long, NULL, duplicate key...), not the statement. */
const ROW_ERRNOS = new Set([1048, 1062, 1136, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 4025]);

/** Where the sink says which load path it takes and why. */
export interface SinkLog {
  info(fields: Record<string, unknown>, message: string): void;
}

/**
 * Loads every segment into the node's table in ONE transaction. A plain table load streams each segment
 * through `LOAD DATA LOCAL INFILE` (see mysql-load.ts); when the server refuses local files, and for
 * `insertQuery`, rows go in batched multi-row prepared INSERTs (values bound, never spliced). Either
 * way a row the server rejects fails the copy naming its line, and nothing is committed.
 */
export async function writeMySql(
  session: MySqlSession,
  node: SqlNode,
  segments: AsyncIterable<Segment>,
  onRows: (rows: number) => void,
  log: SinkLog,
): Promise<number> {
  let current = node.id;
  let total = 0;
  let useLoad = !node.insertQuery;
  await session.run('START TRANSACTION');
  try {
    const table = node.insertQuery ? node.table : tableOf(node);
    if (node.createTableSql && !(table && (await mySqlTableExists(session, table)))) {
      await session.run(node.createTableSql);
    }
    const [custom] = node.insertQuery ? splitScript(node.insertQuery, 'mysql') : [];
    for await (const segment of segments) {
      current = segment.name;
      if (useLoad) {
        const before = total;
        const outcome = await loadSegment(session, table!, segment, (n) => onRows(before + n));
        if ('loaded' in outcome) {
          total += outcome.loaded;
          onRows(total);
          continue;
        }
        // Said once per copy: the fallback is correct but several times slower, worth knowing why.
        useLoad = false;
        log.info(
          { database: session.spec.label, reason: outcome.refused },
          'LOAD DATA LOCAL INFILE refused; loading with batched INSERTs instead',
        );
      }
      let batch: Row[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        total += await insertBatch(session, custom?.sql, table!, batch, segment.name);
        batch = [];
        onRows(total);
      };
      for await (const rows of segmentRows(segment, custom?.placeholders)) {
        for (const row of rows) {
          batch.push(row);
          const limit = custom
            ? 1
            : Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PLACEHOLDERS / row.values.length));
          if (batch.length >= limit) await flush();
        }
      }
      await flush();
    }
    await session.run('COMMIT');
    return total;
  } catch (error) {
    await session.run('ROLLBACK').catch(() => 0);
    if (isTaskFailure(error)) throw error;
    throw sqlFailure(SqlErrorId.QueryFailed, `copy into ${current} failed: ${reason(error)}`, {
      cause: error,
    });
  }
}

async function insertBatch(
  session: MySqlSession,
  insertQuery: string | undefined,
  table: string,
  batch: Row[],
  name: string,
): Promise<number> {
  const width = batch[0]!.values.length;
  const tuple = `(${Array(width).fill('?').join(',')})`;
  const sql = insertQuery ?? `INSERT INTO ${table} VALUES ${Array(batch.length).fill(tuple).join(',')}`;
  try {
    await session.run(
      sql,
      batch.flatMap((r) => r.values),
    );
    return batch.length;
  } catch (error) {
    if (!ROW_ERRNOS.has(Number((error as { errno?: number }).errno))) throw error;
    // MariaDB names the failing row of a multi-row insert ("... at row 3").
    const at = /\bat row (\d+)/.exec(reason(error))?.[1];
    const row = at !== undefined ? batch[Number(at) - 1] : batch.length === 1 ? batch[0] : undefined;
    const line = row?.line ?? batch[0]!.line;
    const where = row ? '' : ` (in the rows from line ${batch[0]!.line} to ${batch.at(-1)!.line})`;
    throw malformed(name, line, `${reason(error)}${where}`, error);
  }
}

export async function mySqlTableExists(session: MySqlSession, table: string): Promise<boolean> {
  const [schema, name] = table.includes('.') ? table.split('.') : [undefined, table];
  const rows = await session.rows(
    'SELECT 1 FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?',
    [schema ?? null, name],
  );
  return rows.length > 0;
}
