/**
 * Object bodies kept as the pieces they arrived in. A large upload reaches the emulator as thousands of
 * socket reads; joining them into one buffer (twice: per part, then per object) cost more CPU than the
 * rest of the S3 write path together, mostly in page faults on the fresh memory. The pieces are never
 * modified, so they are shared freely (CopyObject, ranges) and joined only when a caller wants one buffer.
 */
import type { S3Object } from './listing.ts';

export type ObjectFields = Omit<S3Object, 'data' | 'chunks' | 'size'>;

export function sizeOf(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

/** An object over `chunks`, whose `data` joins them the first time it is read. */
export function objectOf(chunks: readonly Uint8Array[], fields: ObjectFields): S3Object {
  const size = sizeOf(chunks);
  let whole: Uint8Array | undefined = chunks.length === 1 ? chunks[0] : undefined;
  return {
    ...fields,
    chunks,
    size,
    get data() {
      return (whole ??= Buffer.concat(chunks, size));
    },
  };
}

/** The bytes from `start` to `end` inclusive, as views of the pieces (no copy). */
export function sliceChunks(chunks: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const c of chunks) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end + 1 - offset, c.length);
    if (from < to) out.push(c.subarray(from, to));
    offset += c.length;
    if (offset > end) break;
  }
  return out;
}
