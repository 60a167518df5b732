import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a `scriptUri`, `stdout`, `stderr` or data node path points. */
export type Location =
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly uri: string }
  | { readonly kind: 'file'; readonly path: string };

/**
 * Classifies `s3://bucket/key`, `file:///abs/path` and plain paths (relative ones against the runner's
 * working directory). Other schemes are rejected with a message that lists the supported ones.
 */
export function parseLocation(value: string, field: string): Location {
  const trimmed = value.trim();
  if (/^s3:\/\//i.test(trimmed)) {
    const rest = trimmed.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (bucket === '')
      throw new Error(`${field}: ${JSON.stringify(value)} has no bucket (expected s3://bucket/key)`);
    return { kind: 's3', bucket, key, uri: trimmed };
  }
  if (/^file:/i.test(trimmed)) return { kind: 'file', path: fileURLToPath(trimmed) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new Error(
      `${field}: unsupported location ${JSON.stringify(value)} (use a local path, file:// or s3://)`,
    );
  }
  if (trimmed === '') throw new Error(`${field} is empty`);
  return { kind: 'file', path: isAbsolute(trimmed) ? trimmed : resolve(trimmed) };
}
