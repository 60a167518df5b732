import { SqlErrorId, sqlFailure } from '../errors.ts';
import type { DataFormat } from '../format/data-format.ts';
import type { SqlNode } from '../nodes.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$/;

/**
 * The node's `table`, checked to be a plain (optionally schema-qualified) name: it is written into SQL
 * text, so anything else is refused rather than quoted into a different meaning.
 */
export function tableOf(node: SqlNode): string {
  const table = node.table;
  if (!table || !IDENTIFIER.test(table)) {
    throw sqlFailure(
      SqlErrorId.InvalidSpec,
      table
        ? `${node.id}: table "${table}" must be a plain name such as schema.table`
        : `${node.id}: the table field is required to write to a SQL data node`,
      { retryable: false },
    );
  }
  return table;
}

/** What to read: the node's selectQuery (without a trailing `;`), else every row of its table. */
export function selectQueryOf(node: SqlNode): string {
  if (node.selectQuery) return node.selectQuery.trim().replace(/;\s*$/, '');
  return `SELECT * FROM ${tableOf(node)}`;
}

/** `FORMAT csv, DELIMITER 'x'` for a COPY-compatible CSV format. */
export function pgCsvOptions(format: DataFormat): string {
  const delimiter = format.columnSeparator === "'" ? "''''" : `'${format.columnSeparator}'`;
  return `FORMAT csv, DELIMITER ${delimiter}`;
}
