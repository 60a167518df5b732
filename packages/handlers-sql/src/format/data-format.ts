import { SqlErrorId, sqlFailure } from '../errors.ts';
import type { PipelineObject } from '../objects.ts';

/**
 * How rows are written in a file, from a Data Pipeline data format object: `CSV` (comma, `"` quotes,
 * `""` inside quotes), `TSV` (tab, `\` escapes) or `Custom` (any column and record separators, no
 * quoting). An empty unquoted field is NULL; a quoted empty field (`""`) is the empty string.
 */
export interface DataFormat {
  readonly kind: 'csv' | 'tsv' | 'custom';
  readonly columnSeparator: string;
  readonly recordSeparator: string;
  /** `"` for CSV, none for the others. */
  readonly quote: string | undefined;
  /** `\` for TSV (or its `escapeChar`), none for the others. */
  readonly escape: string | undefined;
}

export const CSV: DataFormat = {
  kind: 'csv',
  columnSeparator: ',',
  recordSeparator: '\n',
  quote: '"',
  escape: undefined,
};

/** Separators may be written as escapes in a definition file (`"\\t"`, `"\\u0001"`). */
function unescape(text: string): string {
  return text.replace(/\\(t|n|r|u([0-9a-fA-F]{4}))/g, (_, c: string, hex?: string) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : c === 't' ? '\t' : c === 'n' ? '\n' : '\r',
  );
}

/** The format described by a data format object, or CSV when the data node names none. */
export function dataFormatOf(object: PipelineObject | undefined): DataFormat {
  if (!object) return CSV;
  const type = (object.type ?? 'CSV').toUpperCase();
  const sep = object.get('columnSeparator');
  const rec = object.get('recordSeparator');
  const esc = object.get('escapeChar');
  const fail = (why: string) =>
    sqlFailure(SqlErrorId.InvalidSpec, `data format "${object.id}": ${why}`, { retryable: false });
  let format: DataFormat;
  if (type === 'CSV') {
    format = { ...CSV, ...(sep ? { columnSeparator: unescape(sep) } : {}) };
  } else if (type === 'TSV') {
    format = {
      kind: 'tsv',
      columnSeparator: sep ? unescape(sep) : '\t',
      recordSeparator: rec ? unescape(rec) : '\n',
      quote: undefined,
      escape: esc ? unescape(esc) : '\\',
    };
  } else if (type === 'CUSTOM') {
    if (!sep) throw fail('a Custom data format needs columnSeparator');
    format = {
      kind: 'custom',
      columnSeparator: unescape(sep),
      recordSeparator: rec ? unescape(rec) : '\n',
      quote: undefined,
      escape: undefined,
    };
  } else {
    throw fail(`data format type "${object.type}" is not supported (CSV, TSV or Custom)`);
  }
  if (format.columnSeparator === '' || format.recordSeparator === '')
    throw fail('separators must not be empty');
  if (format.columnSeparator === format.recordSeparator)
    throw fail('the column and record separators are the same');
  return format;
}

export function sameFormat(a: DataFormat, b: DataFormat): boolean {
  return (
    a.kind === b.kind &&
    a.columnSeparator === b.columnSeparator &&
    a.recordSeparator === b.recordSeparator &&
    a.quote === b.quote &&
    a.escape === b.escape
  );
}

/**
 * True when PostgreSQL's `COPY … (FORMAT csv)` reads and writes exactly this format, so bytes can go
 * between S3 and the server untouched.
 */
export function copyCompatible(format: DataFormat): boolean {
  return (
    format.kind === 'csv' &&
    format.recordSeparator === '\n' &&
    format.columnSeparator.length === 1 &&
    format.columnSeparator !== '"'
  );
}

/** File name extension for objects written in this format. */
export function extensionOf(format: DataFormat, gzip: boolean): string {
  return (format.kind === 'csv' ? '.csv' : format.kind === 'tsv' ? '.tsv' : '.txt') + (gzip ? '.gz' : '');
}
