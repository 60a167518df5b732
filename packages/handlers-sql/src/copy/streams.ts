import { pipeline } from 'node:stream';
import { createGunzip, createGzip, type Gunzip, type Gzip } from 'node:zlib';

/**
 * Runs `source` through a gzip or gunzip stream. `pipeline` (not `pipe`) so an error on either side
 * reaches whoever reads the result instead of leaving it waiting forever.
 */
export function through(source: AsyncIterable<Uint8Array>, kind: 'gzip' | 'gunzip'): Gzip | Gunzip {
  const transform = kind === 'gzip' ? createGzip() : createGunzip();
  pipeline(source, transform, () => {});
  return transform;
}
