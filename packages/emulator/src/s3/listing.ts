/** Listing in S3 order: prefix, start-after, delimiter roll-ups and page size. */
export interface S3Object {
  /** The bytes in one buffer; an object stored in pieces is joined on first use only. */
  readonly data: Uint8Array;
  /** The bytes as stored, in order: one buffer, or the pieces a body or multipart upload arrived in. */
  readonly chunks: readonly Uint8Array[];
  readonly size: number;
  /** Quoted, as S3 sends it. */
  etag: string;
  lastModified: number;
  contentType: string;
  metadata: Record<string, string>;
}

export interface ListRequest {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** Keys up to and including this one are skipped; a common prefix skips everything under it. */
  after: string | undefined;
}

export interface ListResult {
  contents: Array<[string, S3Object]>;
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, for the continuation token. */
  last: string | undefined;
}

const utf8 = new TextEncoder();

/** S3 orders keys by their UTF-8 bytes, which differs from UTF-16 order for astral characters. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

/** One page over `keys` (sorted with compareKeys). */
export function listSorted(
  keys: readonly string[],
  objects: ReadonlyMap<string, S3Object>,
  req: ListRequest,
): ListResult {
  const out: ListResult = { contents: [], commonPrefixes: [], truncated: false, last: undefined };
  const from = req.after !== undefined && compareKeys(req.after, req.prefix) > 0 ? req.after : req.prefix;
  // Binary search for the first key at or after `from`.
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, from) < 0) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < keys.length; i++) {
    const key = keys[i]!;
    if (!key.startsWith(req.prefix)) break;
    if (req.after !== undefined && compareKeys(key, req.after) <= 0) continue;
    // A continuation from a common prefix skips the keys rolled up under it.
    if (
      req.after !== undefined &&
      req.delimiter !== '' &&
      req.after.endsWith(req.delimiter) &&
      key.startsWith(req.after)
    )
      continue;
    let common: string | undefined;
    if (req.delimiter !== '') {
      const d = key.indexOf(req.delimiter, req.prefix.length);
      if (d >= 0) common = key.slice(0, d + req.delimiter.length);
    }
    if (common !== undefined && common === out.commonPrefixes[out.commonPrefixes.length - 1]) continue;
    if (out.contents.length + out.commonPrefixes.length >= req.maxKeys) {
      out.truncated = true;
      break;
    }
    if (common !== undefined) {
      out.commonPrefixes.push(common);
      out.last = common;
    } else {
      out.contents.push([key, objects.get(key)!]);
      out.last = key;
    }
  }
  return out;
}
