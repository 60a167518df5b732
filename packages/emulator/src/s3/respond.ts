/** Writing S3 answers: objects (with ranges), XML documents and XML errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from './store.ts';
import type { S3Object } from './store.ts';
import { sliceChunks } from './chunks.ts';
import { errorDocument, xmlDocument } from './xml.ts';

export interface S3Hooks {
  /** Counts the call in observations as `S3.<Operation>`. */
  request(operation: string): void;
  /** An object or bucket changed; waitFor predicates are re-checked. */
  changed(): void;
}

export interface S3Request {
  req: IncomingMessage;
  res: ServerResponse;
  bucket: string;
  key: string;
  query: URLSearchParams;
  requestId: string;
}

export function sendObject(r: S3Request, obj: S3Object, head: boolean): void {
  const headers: Record<string, string | number> = {
    'content-type': obj.contentType,
    etag: obj.etag,
    'last-modified': new Date(obj.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(obj.metadata)) headers[`x-amz-meta-${k}`] = v;
  let chunks = obj.chunks;
  let length = obj.size;
  let status = 200;
  const range = r.req.headers.range;
  if (range !== undefined) {
    const size = obj.size;
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    let start = m?.[1] ? Number(m[1]) : undefined;
    let end = m?.[2] ? Number(m[2]) : undefined;
    if (m && start === undefined && end !== undefined) [start, end] = [Math.max(0, size - end), size - 1];
    if (m && start !== undefined) {
      end = Math.min(end ?? size - 1, size - 1);
      if (start >= size || start > end)
        throw new S3Error('InvalidRange', 416, 'The requested range is not satisfiable');
      chunks = sliceChunks(obj.chunks, start, end);
      length = end + 1 - start;
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
  }
  headers['content-length'] = length;
  if (head || chunks.length <= 1) return send(r, status, headers, head ? undefined : (chunks[0] ?? ''));
  // The pieces go out as they are stored, corked so that small ones still leave in few writes.
  send(r, status, headers, undefined, chunks);
}

export function sendXml(
  r: S3Request,
  status: number,
  root: string,
  body: Parameters<typeof xmlDocument>[1],
): void {
  const xml = xmlDocument(root, body);
  send(r, status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }, xml);
}

export function send(
  r: S3Request,
  status: number,
  headers: Record<string, string | number> = {},
  body?: string | Uint8Array,
  pieces?: readonly Uint8Array[],
): void {
  if (r.res.destroyed || r.res.writableEnded) return;
  r.res.writeHead(status, {
    'x-amz-request-id': r.requestId,
    'x-amz-id-2': r.requestId,
    ...(body === undefined && !pieces && !('content-length' in headers) ? { 'content-length': 0 } : {}),
    ...headers,
  });
  if (!pieces) return void r.res.end(body);
  r.res.cork();
  for (const piece of pieces) r.res.write(piece);
  r.res.end();
  r.res.uncork();
}

export function sendError(
  res: ServerResponse,
  requestId: string,
  method: string | undefined,
  err: S3Error,
): void {
  if (res.destroyed || res.writableEnded) return;
  const xml = method === 'HEAD' ? '' : errorDocument(err.code, err.message, requestId, err.resource);
  res.writeHead(err.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amz-request-id': requestId,
  });
  res.end(xml);
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const notAllowed = () =>
  new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.');
export const notImplemented = (what: string) =>
  new S3Error('NotImplemented', 501, `${what} is not implemented by the emulator.`);
