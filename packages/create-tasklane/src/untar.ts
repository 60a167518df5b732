/**
 * Unpacks an npm package tarball (gzip + ustar, as `npm pack` and `pnpm pack` write it) without a tar
 * program or a dependency, so the scaffold stays offline and self-contained on every platform.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number): number {
  const text = field(header, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Writes the tarball's files under `target`, dropping the leading `package/`; returns their paths. */
export function unpackTarball(tarball: string, target: string): string[] {
  const data = gunzipSync(readFileSync(tarball));
  const written: string[] = [];
  let longName: string | undefined;
  for (let offset = 0; offset + BLOCK <= data.length;) {
    const header = data.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = data.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      // A pax header may carry a path longer than the ustar fields hold.
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    if (type !== '0' && type !== '\0') {
      longName = undefined;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    const relative = normalize(name.replace(/^package\//, ''));
    if (relative.startsWith('..') || relative.startsWith(sep)) {
      throw new Error(`${tarball}: entry ${name} points outside the package`);
    }
    const path = join(target, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body, { mode: octal(header, 100, 8) & 0o777 });
    written.push(relative);
  }
  return written;
}
