/** Request bodies for S3: a size cap checked while reading, and the SDK's `aws-chunked` framing. */
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { S3Error } from './store.ts';

/** Reads the whole body into one buffer (XML documents and other small bodies). */
export async function readS3Body(req: IncomingMessage, max: number): Promise<Buffer> {
  const pieces = await readS3Pieces(req, max);
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/**
 * Reads the whole body as the pieces it arrived in, refusing more than `max` bytes (EntityTooLarge)
 * without buffering them. A plain body is kept as those pieces, never joined (see chunks.ts); an
 * aws-chunked one is decoded into one buffer. Declared checksums are verified either way.
 */
export function readS3Pieces(req: IncomingMessage, max: number): Promise<Buffer[]> {
  const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.reject(tooLarge(max));
  }
  const chunked = isAwsChunked(req);
  // Framing adds a little to chunked bodies; the decoded size is checked again afterwards.
  const cap = chunked ? max + 64 * 1024 + max / 100 : max;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > cap) {
        refused = true;
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      try {
        if (!chunked) {
          verifyChecksums(req, chunks, {});
          return resolve(chunks);
        }
        const { body, trailers } = decodeAwsChunked(Buffer.concat(chunks, size));
        if (body.length > max) return reject(tooLarge(max));
        verifyChecksums(req, [body], trailers);
        resolve([body]);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function tooLarge(max: number): S3Error {
  return new S3Error(
    'EntityTooLarge',
    400,
    `Your proposed upload exceeds the maximum allowed size (${max} bytes).`,
  );
}

function isAwsChunked(req: IncomingMessage): boolean {
  const sha = String(req.headers['x-amz-content-sha256'] ?? '');
  const enc = String(req.headers['content-encoding'] ?? '');
  return sha.startsWith('STREAMING-') || enc.split(',').some((e) => e.trim() === 'aws-chunked');
}

/**
 * `hex-size[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>\r\n\r\n`. Chunk signatures and the
 * trailing checksum are not verified: any signature is accepted, as for the JSON API.
 */
export function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) throw malformed();
    const header = raw.subarray(pos, eol).toString('latin1');
    const size = parseInt(header.split(';')[0]!, 16);
    if (!Number.isInteger(size) || size < 0) throw malformed();
    pos = eol + 2;
    if (size === 0) return { body: Buffer.concat(parts), trailers: parseTrailers(raw.subarray(pos)) };
    if (pos + size > raw.length) throw malformed();
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw[pos] === 0x0d && raw[pos + 1] === 0x0a) pos += 2;
  }
}

function malformed(): S3Error {
  return new S3Error('IncompleteBody', 400, 'The request body is not valid aws-chunked framing.');
}

function parseTrailers(raw: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of raw.toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

const CRC32_TABLE = crcTable(0xedb88320);
const CRC32C_TABLE = crcTable(0x82f63b78);

function crcTable(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function crc(table: Uint32Array, pieces: readonly Uint8Array[]): number {
  let c = 0xffffffff;
  for (const data of pieces)
    for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** zlib's CRC-32 (Node ≥ 20.15, Bun, Deno) runs at memory speed; the table loop is 10–20x slower. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

function crc32(pieces: readonly Uint8Array[]): number {
  if (!nativeCrc32) return crc(CRC32_TABLE, pieces);
  let value = 0;
  for (const p of pieces) value = nativeCrc32(p, value);
  return value >>> 0;
}

const base64Of = (n: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out.toString('base64');
};

const hashOf = (algorithm: string) => (pieces: readonly Uint8Array[]) => {
  const hash = createHash(algorithm);
  for (const p of pieces) hash.update(p);
  return hash.digest('base64');
};

const DIGESTS: Record<string, (pieces: readonly Uint8Array[]) => string> = {
  'x-amz-checksum-crc32': (p) => base64Of(crc32(p)),
  'x-amz-checksum-crc32c': (p) => base64Of(crc(CRC32C_TABLE, p)),
  'x-amz-checksum-sha1': hashOf('sha1'),
  'x-amz-checksum-sha256': hashOf('sha256'),
  'content-md5': hashOf('md5'),
};

/** Rejects a body whose declared checksum (header or aws-chunked trailer) does not match, as S3 does. */
function verifyChecksums(
  req: IncomingMessage,
  body: readonly Uint8Array[],
  trailers: Record<string, string>,
): void {
  for (const [name, digest] of Object.entries(DIGESTS)) {
    const header = req.headers[name];
    const declared = typeof header === 'string' ? header : trailers[name];
    if (declared === undefined || declared === digest(body)) continue;
    const what = name === 'content-md5' ? 'Content-MD5' : name.slice('x-amz-checksum-'.length).toUpperCase();
    throw new S3Error('BadDigest', 400, `The ${what} you specified did not match the calculated checksum.`);
  }
}
