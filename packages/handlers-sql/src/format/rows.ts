import type { DataFormat } from './data-format.ts';

/** One record: its fields (`null` for NULL) and where it started in its file. */
export interface Row {
  readonly values: (string | null)[];
  /** 1-based line of the file where the record starts. */
  readonly line: number;
}

/** A record that cannot be read; the copy fails with its line number and this reason. */
export class MalformedRowError extends Error {
  override name = 'MalformedRowError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/**
 * Parses a data format incrementally: feed text chunks with {@link push}, call {@link end} at the end
 * of the file. Rows come back in batches so per-row overhead stays low, and only one unfinished record
 * is ever buffered, whatever the file's size.
 */
export class RowParser {
  #buffer = '';
  #line = 1;
  #expected: number | undefined;

  constructor(
    private readonly format: DataFormat,
    expectedColumns?: number,
  ) {
    this.#expected = expectedColumns;
  }

  push(chunk: string): Row[] {
    this.#buffer += chunk;
    return this.#drain(false);
  }

  end(): Row[] {
    return this.#drain(true);
  }

  #drain(final: boolean): Row[] {
    const rows: Row[] = [];
    let start = 0;
    const text = this.#buffer;
    for (;;) {
      const parsed = this.#record(text, start, final);
      if (!parsed) break;
      if (parsed.values) rows.push(this.#check({ values: parsed.values, line: this.#line }));
      this.#line += parsed.newlines;
      start = parsed.next;
      if (start >= text.length) break;
    }
    this.#buffer = text.slice(start);
    return rows;
  }

  #check(row: Row): Row {
    if (this.#expected === undefined) this.#expected = row.values.length;
    else if (row.values.length !== this.#expected) {
      throw new MalformedRowError(row.line, `expected ${this.#expected} fields, found ${row.values.length}`);
    }
    return row;
  }

  /** One record from `start`, or undefined when it is not complete yet (and this is not the end). */
  #record(
    text: string,
    start: number,
    final: boolean,
  ): { values: (string | null)[] | undefined; next: number; newlines: number } | undefined {
    const { columnSeparator: sep, recordSeparator: rec, quote, escape } = this.format;
    const values: (string | null)[] = [];
    let i = start;
    let newlines = 0;
    if (i >= text.length) return undefined;
    for (;;) {
      let value = '';
      let quoted = false;
      let isNull = false;
      if (quote !== undefined && text[i] === quote) {
        quoted = true;
        i++;
        for (;;) {
          const close = text.indexOf(quote, i);
          if (close < 0) {
            if (!final) return undefined;
            throw new MalformedRowError(this.#line, 'unterminated quoted field');
          }
          value += text.slice(i, close);
          newlines += count(text, '\n', i, close);
          if (text[close + 1] === quote) {
            value += quote;
            i = close + 2;
            continue;
          }
          if (close + 1 >= text.length && !final) return undefined;
          i = close + 1;
          break;
        }
        if (i < text.length && !text.startsWith(sep, i) && !atRecordEnd(text, i, rec)) {
          throw new MalformedRowError(this.#line + newlines, `unexpected "${text[i]}" after a closing quote`);
        }
      } else {
        for (;;) {
          if (i >= text.length) {
            if (!final) return undefined;
            break;
          }
          const c = text[i]!;
          if (escape !== undefined && c === escape) {
            if (i + 1 >= text.length) {
              if (!final) return undefined;
              throw new MalformedRowError(this.#line + newlines, `"${escape}" at the end of the file`);
            }
            const e = text[i + 1]!;
            if (e === 'N' && value === '' && endsField(text, i + 2, sep, rec)) isNull = true;
            else value += e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e;
            if (e === '\n') newlines++;
            i += 2;
            continue;
          }
          if (c === sep[0] && text.startsWith(sep, i)) break;
          if (c === rec[0] && text.startsWith(rec, i)) break;
          if (c === '\n') newlines++;
          value += c;
          i++;
        }
        if (!final && i + Math.max(sep.length, rec.length) > text.length) {
          // A separator may be cut by the chunk boundary.
          if (!text.startsWith(sep, i) && !text.startsWith(rec, i)) return undefined;
        }
      }
      if (rec === '\n' && !quoted && value.endsWith('\r')) value = value.slice(0, -1);
      values.push(isNull ? null : quoted ? value : value === '' && this.format.kind !== 'tsv' ? null : value);
      if (i >= text.length) return { values, next: i, newlines };
      if (text.startsWith(sep, i)) {
        i += sep.length;
        if (i >= text.length && !final) return undefined;
        continue;
      }
      // Record separator.
      if (rec === '\n') newlines++;
      else newlines += count(rec, '\n', 0, rec.length);
      const empty = values.length === 1 && values[0] === null && !quoted;
      // A blank line is no record: files often end with one, or have them between blocks.
      return { values: empty ? undefined : values, next: i + rec.length, newlines };
    }
  }
}

function atRecordEnd(text: string, i: number, rec: string): boolean {
  return text.startsWith(rec, i) || (rec === '\n' && text.startsWith('\r\n', i));
}

function endsField(text: string, i: number, sep: string, rec: string): boolean {
  return i >= text.length || text.startsWith(sep, i) || text.startsWith(rec, i);
}

function count(text: string, ch: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf(ch, from); i >= 0 && i < to; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/** Writes one record in the format, quoting or escaping what needs it. */
export function encodeRow(values: readonly (string | null)[], format: DataFormat): string {
  const { columnSeparator: sep, recordSeparator: rec, quote, escape } = format;
  const out: string[] = [];
  for (const v of values) {
    if (v === null) out.push(format.kind === 'tsv' ? `${escape}N` : '');
    else if (quote !== undefined) {
      const needs = v === '' || v.includes(sep) || v.includes(quote) || /[\r\n]/.test(v) || v.includes(rec);
      out.push(needs ? quote + v.split(quote).join(quote + quote) + quote : v);
    } else if (escape !== undefined) {
      let s = '';
      for (const c of v) {
        if (c === escape || sep.includes(c) || rec.includes(c))
          s += escape + (c === '\t' ? 't' : c === '\n' ? 'n' : c);
        else if (c === '\r') s += `${escape}r`;
        else s += c;
      }
      out.push(s);
    } else {
      if (v.includes(sep) || v.includes(rec)) {
        throw new Error(`a value contains the separator and the ${format.kind} format cannot quote it`);
      }
      out.push(v);
    }
  }
  return out.join(sep) + rec;
}
