/** Request bodies for S3: a size cap checked while reading, and the SDK's `aws-chunked` framing. */
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { S3Error } from './store.ts';

/** Reads the whole body, refusing more than `max` bytes (EntityTooLarge) without buffering them. */
export function readS3Body(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.reject(tooLarge(max));
  }
  // Framing adds a little to chunked bodies; the decoded size is checked again afterwards.
  const cap = max + 64 * 1024 + max / 100;
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
        const raw = Buffer.concat(chunks);
        const { body, trailers } = isAwsChunked(req) ? decodeAwsChunked(raw) : { body: raw, trailers: {} };
        if (body.length > max) reject(tooLarge(max));
        else {
          verifyChecksums(req, body, trailers);
          resolve(body);
        }
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

function crc(table: Uint32Array, data: Uint8Array): string {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

const DIGESTS: Record<string, (data: Uint8Array) => string> = {
  'x-amz-checksum-crc32': (d) => crc(CRC32_TABLE, d),
  'x-amz-checksum-crc32c': (d) => crc(CRC32C_TABLE, d),
  'x-amz-checksum-sha1': (d) => createHash('sha1').update(d).digest('base64'),
  'x-amz-checksum-sha256': (d) => createHash('sha256').update(d).digest('base64'),
  'content-md5': (d) => createHash('md5').update(d).digest('base64'),
};

/** Rejects a body whose declared checksum (header or aws-chunked trailer) does not match, as S3 does. */
function verifyChecksums(req: IncomingMessage, body: Buffer, trailers: Record<string, string>): void {
  for (const [name, digest] of Object.entries(DIGESTS)) {
    const header = req.headers[name];
    const declared = typeof header === 'string' ? header : trailers[name];
    if (declared === undefined || declared === digest(body)) continue;
    const what = name === 'content-md5' ? 'Content-MD5' : name.slice('x-amz-checksum-'.length).toUpperCase();
    throw new S3Error('BadDigest', 400, `The ${what} you specified did not match the calculated checksum.`);
  }
}
