/**
 * Uploads are sent with `x-amz-content-sha256: UNSIGNED-PAYLOAD` (the CRC-32 checksum protects the
 * bytes). The emulator accepts any signature, so this test checks what real S3 would: that the header
 * is there before signing, i.e. the SigV4 signature, recomputed independently from the request as it
 * arrived, matches. A header changed after signing would pass against the emulator and fail on AWS.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3 } from '../src/s3.ts';

const SECRET = 'test-secret';
const seen: Array<{ req: IncomingMessage; body: Buffer }> = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({ req, body: Buffer.concat(chunks) });
    res.writeHead(200, { etag: '"abc"', 'content-length': 0 }).end();
  });
});
let endpoint = '';

const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
beforeAll(async () => {
  // The SDK's credential chain reads these; the secret must be known to recompute the signature.
  process.env.AWS_ACCESS_KEY_ID = 'test-key';
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const [name, value] of [
    ['AWS_ACCESS_KEY_ID', saved.id],
    ['AWS_SECRET_ACCESS_KEY', saved.secret],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** AWS Signature Version 4, from the documented algorithm, for the request as the server received it. */
function expectedSignature(req: IncomingMessage): { signature: string; given: string } {
  const auth = String(req.headers.authorization);
  const [, scope, signed, given] = /Credential=[^/]+\/([^,]+), SignedHeaders=([^,]+), Signature=(\w+)/.exec(
    auth,
  )!;
  const url = new URL(req.url!, 'http://x');
  const query = [...url.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signed!.split(';');
  const headers = names.map((n) => `${n}:${String(req.headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [
    req.method,
    url.pathname,
    query,
    headers,
    signed,
    String(req.headers['x-amz-content-sha256']),
  ].join('\n');
  const date = String(req.headers['x-amz-date']);
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  const [day, region, service] = scope!.split('/');
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, day!), region!), service!), 'aws4_request');
  return { signature: createHmac('sha256', key).update(toSign).digest('hex'), given: given! };
}

describe('S3 uploads', () => {
  it('send UNSIGNED-PAYLOAD with a CRC-32 checksum, and the signature covers that header', async () => {
    const env = (name: string) => ({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: endpoint })[name];
    const { sdk, client } = await s3(env);
    const body = Buffer.alloc(2 * 1024 * 1024, 7);
    await client.send(
      new sdk.UploadPartCommand({ Bucket: 'b', Key: 'k', UploadId: 'u-1', PartNumber: 1, Body: body }),
    );
    await client.send(new sdk.PutObjectCommand({ Bucket: 'b', Key: 'small', Body: 'hello' }));
    expect(seen).toHaveLength(2);
    for (const { req, body: got } of seen) {
      expect(req.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(req.headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      expect(String(req.headers.authorization)).toContain('x-amz-content-sha256');
      const { signature, given } = expectedSignature(req);
      expect(given).toBe(signature);
      expect(got.length).toBeGreaterThan(0);
    }
  });
});
