import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** Just enough of S3 (path-style GetObject, PutObject, ListObjectsV2) to test the handlers' S3 paths. */
export interface FakeS3 {
  readonly endpoint: string;
  readonly objects: Map<string, Uint8Array>;
  close(): Promise<void>;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Decodes `aws-chunked` bodies (`<hex>[;ext]\r\n<data>\r\n ... 0\r\n<trailers>\r\n`), which the SDK sends for streams with checksums. */
function decodeAwsChunked(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let pos = 0;
  const text = new TextDecoder('latin1');
  for (;;) {
    let eol = pos;
    while (eol + 1 < body.length && !(body[eol] === 13 && body[eol + 1] === 10)) eol++;
    const size = parseInt(text.decode(body.subarray(pos, eol)).split(';')[0]!, 16);
    pos = eol + 2;
    if (!size) return concat(parts);
    parts.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, Uint8Array>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk as Uint8Array);
    if (req.method === 'PUT') {
      const raw = concat(chunks);
      const chunked =
        String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
        String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
      objects.set(`${bucket}/${key}`, chunked ? decodeAwsChunked(raw) : raw);
      res.writeHead(200, { etag: '"fake"' }).end();
    } else if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/${prefix}`))
        .map((k) => k.slice(bucket.length + 1));
      const contents = keys
        .map(
          (k) =>
            `<Contents><Key>${xml(k)}</Key><Size>${objects.get(`${bucket}/${k}`)!.byteLength}</Size></Contents>`,
        )
        .join('');
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
        );
    } else if (req.method === 'GET') {
      const body = objects.get(`${bucket}/${key}`);
      if (!body)
        res
          .writeHead(404, { 'content-type': 'application/xml' })
          .end('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      else res.writeHead(200, { 'content-length': String(body.byteLength) }).end(body);
    } else {
      res.writeHead(405).end();
    }
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
