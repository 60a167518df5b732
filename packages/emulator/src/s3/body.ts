/** Request bodies for S3: a size cap checked while reading, and the SDK's `aws-chunked` framing. */
import type { IncomingMessage } from 'node:http';
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
        const body = isAwsChunked(req) ? decodeAwsChunked(raw) : raw;
        if (body.length > max) reject(tooLarge(max));
        else resolve(body);
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
export function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) throw malformed();
    const header = raw.subarray(pos, eol).toString('latin1');
    const size = parseInt(header.split(';')[0]!, 16);
    if (!Number.isInteger(size) || size < 0) throw malformed();
    pos = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (pos + size > raw.length) throw malformed();
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw[pos] === 0x0d && raw[pos + 1] === 0x0a) pos += 2;
  }
}

function malformed(): S3Error {
  return new S3Error('IncompleteBody', 400, 'The request body is not valid aws-chunked framing.');
}
