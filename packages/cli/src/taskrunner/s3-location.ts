import { UsageError } from '../errors.ts';

/** A bucket and a key prefix (no leading or trailing slash; empty for the bucket's root). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** Parses `s3://bucket/prefix`; `option` names what to fix when it is not one. */
export function parseS3Uri(raw: string, option: string): S3Location {
  const m = /^s3:\/\/([^/\s]+)(?:\/(.*))?$/i.exec(raw.trim());
  if (!m) throw new UsageError(option, `${option}: expected s3://bucket/prefix, got ${JSON.stringify(raw)}`);
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** The key of `name` under a location. */
export function keyUnder(location: S3Location, ...parts: string[]): string {
  return [location.prefix, ...parts].filter((p) => p !== '').join('/');
}
