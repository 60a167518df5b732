import { StringDecoder } from 'node:string_decoder';
import { SqlErrorId, sqlFailure } from '../errors.ts';
import type { DataFormat } from '../format/data-format.ts';
import { encodeRow, MalformedRowError, RowParser, type Row } from '../format/rows.ts';

/**
 * One file's worth of data on its way through a copy: bytes in a known format, read as they arrive. Every
 * source (an S3 object, a PostgreSQL COPY, a MySQL result) becomes segments, and every sink reads them.
 */
export interface Segment {
  /** `s3://bucket/key` or `table people`, for messages. */
  readonly name: string;
  readonly format: DataFormat;
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** Bytes buffered before they are handed on, so tiny rows do not become tiny writes. */
export const CHUNK_BYTES = 64 * 1024;

/** The segment's rows, in batches; a malformed record fails the copy naming the segment and line. */
export async function* segmentRows(segment: Segment, expectedColumns?: number): AsyncGenerator<Row[]> {
  const parser = new RowParser(segment.format, expectedColumns);
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of segment.chunks) {
      const rows = parser.push(decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      if (rows.length) yield rows;
    }
    const rows = parser.push(decoder.end());
    const last = [...rows, ...parser.end()];
    if (last.length) yield last;
  } catch (error) {
    if (error instanceof MalformedRowError) throw malformed(segment.name, error.line, error.reason, error);
    throw error;
  }
}

export function malformed(name: string, line: number | undefined, why: string, cause?: unknown) {
  return sqlFailure(
    SqlErrorId.MalformedRow,
    `malformed row in ${name}${line === undefined ? '' : `, line ${line}`}: ${why}`,
    { cause, retryable: false },
  );
}

/** Encodes batches of values into byte chunks of about {@link CHUNK_BYTES}. */
export async function* encodeRows(
  batches: AsyncIterable<readonly (readonly (string | null)[])[]>,
  format: DataFormat,
): AsyncGenerator<Uint8Array> {
  let pending = '';
  for await (const batch of batches) {
    for (const values of batch) {
      pending += encodeRow(values, format);
      if (pending.length >= CHUNK_BYTES) {
        yield Buffer.from(pending, 'utf8');
        pending = '';
      }
    }
  }
  if (pending) yield Buffer.from(pending, 'utf8');
}

/** The segment in another format (or itself, when the formats match). */
export function reformat(segment: Segment, format: DataFormat): Segment {
  return {
    name: segment.name,
    format,
    chunks: encodeRows(
      (async function* () {
        for await (const rows of segmentRows(segment)) yield rows.map((r) => r.values);
      })(),
      format,
    ),
  };
}
