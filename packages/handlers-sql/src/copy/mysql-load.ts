import { Readable } from 'node:stream';
import type { MySqlSession } from '../database/mysql-session.ts';
import { malformed, segmentRows, type Segment } from './segment.ts';

/**
 * Errnos with which a server (or the connection's capabilities) refuses `LOAD DATA LOCAL INFILE` before
 * asking for any data: MySQL's ER_NOT_ALLOWED_COMMAND (1148) and ER_CLIENT_LOCAL_FILES_DISABLED (3948),
 * MariaDB's ER_LOAD_INFILE_CAPABILITY_DISABLED (4166), libmysqlclient's CR_LOAD_DATA_LOCAL_INFILE_REJECTED.
 */
const REFUSED_ERRNOS = new Set([1148, 2068, 3948, 4166]);
/** Encoded text handed to the driver at a time: one packet each, far below MySQL's 16 MiB packet limit. */
const CHUNK_CHARS = 64 * 1024;
/**
 * MySQL's own text format, spelled out (hex, so the statement means the same under
 * NO_BACKSLASH_ESCAPES): tab-separated, backslash escapes, `\N` for NULL, one row per line.
 */
const FORMAT =
  "CHARACTER SET utf8mb4 FIELDS TERMINATED BY 0x09 ENCLOSED BY '' ESCAPED BY 0x5c LINES TERMINATED BY 0x0a STARTING BY ''";

export type LoadOutcome = { loaded: number } | { refused: string };

/**
 * Loads one segment into `table` with `LOAD DATA LOCAL INFILE`, the rows streamed from the segment (parsed
 * here, so a malformed record still fails naming its line, then re-encoded in MySQL's text format). The
 * server does the inserting in one statement instead of thousands of INSERTs.
 *
 * With LOCAL the server cannot stop the client mid-file, so every problem with a row (a bad value, a
 * duplicate key, too few fields) becomes a warning and the row is changed or skipped. Any warning
 * therefore fails the copy, as the same row would have failed an INSERT, naming the line when the server
 * names the row. The caller's transaction is rolled back, so nothing of the segment stays.
 *
 * Resolves `{ refused }` when the server will not take a local file at all; nothing was read then, so
 * the caller can load the same segment another way.
 */
export async function loadSegment(
  session: MySqlSession,
  table: string,
  segment: Segment,
  onRows: (rows: number) => void,
): Promise<LoadOutcome> {
  const lines = new LineMap();
  const body = Readable.from(encode(segment, lines, onRows), { objectMode: false });
  const result = await session.loadLocal(
    `LOAD DATA LOCAL INFILE 'tasklane-copy' INTO TABLE ${table} ${FORMAT}`,
    body,
  );
  if (result.error !== undefined) {
    const errno = Number((result.error as { errno?: number }).errno);
    if (!result.opened && REFUSED_ERRNOS.has(errno)) {
      return { refused: `${(result.error as Error).message} (errno ${errno})` };
    }
    body.destroy();
    throw result.error;
  }
  if (result.warnings > 0) {
    const [warning] = await session.rows('SHOW WARNINGS LIMIT 1');
    const text = warning?.[2];
    const message = typeof text === 'string' ? text : 'the server changed or skipped a row';
    const row = /\bat row (\d+)|^Row (\d+)\b/.exec(message);
    const at = row ? Number(row[1] ?? row[2]) : undefined;
    const where = at === undefined ? ` (in the rows from line ${lines.first} to ${lines.last})` : '';
    throw malformed(segment.name, at === undefined ? lines.first : lines.lineOf(at), `${message}${where}`);
  }
  return { loaded: result.affectedRows };
}

async function* encode(
  segment: Segment,
  lines: LineMap,
  onRows: (rows: number) => void,
): AsyncGenerator<Buffer> {
  let text = '';
  for await (const rows of segmentRows(segment)) {
    for (const row of rows) {
      lines.add(row.line);
      let line = '';
      for (let i = 0; i < row.values.length; i++) {
        const v = row.values[i]!;
        line +=
          (i === 0 ? '' : '\t') + (v === null ? '\\N' : SPECIAL.test(v) ? v.replace(SPECIALS, escape) : v);
      }
      text += line + '\n';
    }
    onRows(lines.rows);
    if (text.length >= CHUNK_CHARS) {
      yield Buffer.from(text, 'utf8');
      text = '';
    }
  }
  if (text) yield Buffer.from(text, 'utf8');
}

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIALS = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const escape = (c: string) => ESCAPES[c]!;

/**
 * Which source line each loaded row came from, for the server's "at row N". Rows are usually one line
 * each, so only the places where that changes (multi-line quoted values, blank lines) are kept: a million
 * rows cost a few numbers, not a million.
 */
class LineMap {
  rows = 0;
  first = 0;
  last = 0;
  readonly #starts: number[] = [];
  readonly #lines: number[] = [];

  add(line: number): void {
    this.rows++;
    if (this.rows === 1) this.first = line;
    this.last = line;
    const n = this.#starts.length;
    if (n === 0 || this.#lines[n - 1]! + (this.rows - this.#starts[n - 1]!) !== line) {
      this.#starts.push(this.rows);
      this.#lines.push(line);
    }
  }

  /** The line of the `row`-th row loaded (1-based). */
  lineOf(row: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    if (hi < 0) return row;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    return this.#lines[lo]! + (row - this.#starts[lo]!);
  }
}
