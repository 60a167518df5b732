/**
 * S3's REST API, path-style (`/bucket/key`) and `bucket.localhost` virtual-hosted, on the emulator's
 * own port. Data Pipeline calls are `POST /` with `X-Amz-Target`, so they never look like these.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readS3Body, readS3Pieces } from './body.ts';
import { deleteObjects, listObjects } from './bucket-reads.ts';
import { iso, notAllowed, notImplemented, send, sendError, sendObject, sendXml } from './respond.ts';
import type { S3Hooks, S3Request } from './respond.ts';

export type { S3Hooks };
import { S3Error } from './store.ts';
import type { S3Store } from './store.ts';
import { parseCompleteParts } from './xml.ts';

const VHOST = /^([a-z0-9][a-z0-9.-]*[a-z0-9])\.localhost$/;

function virtualBucket(req: IncomingMessage): string | undefined {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  return VHOST.exec(host)?.[1];
}

/** True for requests that belong to S3 rather than the JSON API or the control API. */
export function isS3Request(req: IncomingMessage): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path !== '/') return true;
  if (virtualBucket(req) !== undefined) return true;
  // ListBuckets is `GET /`; only an S3-signed one is taken for S3, so stray GETs keep the JSON API error.
  return req.method === 'GET' && /\/s3\/aws4_request/.test(req.headers.authorization ?? '');
}

export async function handleS3(
  store: S3Store,
  hooks: S3Hooks,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
  const url = new URL(req.url ?? '/', 'http://s3.local');
  let bucket = virtualBucket(req);
  let key: string;
  const path = url.pathname;
  try {
    if (bucket !== undefined) key = decodeURIComponent(path.slice(1));
    else {
      const rest = path.slice(1);
      const slash = rest.indexOf('/');
      bucket = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
      key = slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1));
    }
  } catch {
    return sendError(
      res,
      requestId,
      req.method,
      new S3Error('InvalidURI', 400, "Couldn't parse the specified URI."),
    );
  }
  const r: S3Request = { req, res, bucket, key, query: url.searchParams, requestId };
  try {
    await route(store, hooks, r);
  } catch (err) {
    if (!(err instanceof S3Error)) throw err;
    if (!req.complete) req.resume();
    sendError(res, requestId, req.method, err);
  }
}

async function route(store: S3Store, hooks: S3Hooks, r: S3Request): Promise<void> {
  const { req, bucket, key, query } = r;
  const method = req.method ?? 'GET';
  const op = (name: string) => hooks.request(name);
  const body = () => readS3Body(req, store.limits.maxPutBytes);
  const pieces = () => readS3Pieces(req, store.limits.maxPutBytes);
  if (bucket === '') {
    if (method !== 'GET') throw notAllowed();
    op('ListBuckets');
    return sendXml(r, 200, 'ListAllMyBucketsResult', {
      Owner: { ID: 'tasklane', DisplayName: 'tasklane' },
      Buckets: { Bucket: store.buckets().map((b) => ({ Name: b.name, CreationDate: iso(b.createdAt) })) },
    });
  }
  if (key === '') {
    switch (method) {
      case 'PUT':
        op('CreateBucket');
        await body();
        store.createBucket(bucket);
        hooks.changed();
        return send(r, 200, { location: `/${bucket}` });
      case 'HEAD':
        op('HeadBucket');
        if (!store.hasBucket(bucket)) throw new S3Error('NoSuchBucket', 404, 'Not Found', bucket);
        return send(r, 200, { 'x-amz-bucket-region': 'us-east-1' });
      case 'DELETE':
        op('DeleteBucket');
        store.deleteBucket(bucket);
        hooks.changed();
        return send(r, 204);
      case 'GET':
        if (query.has('location')) {
          op('GetBucketLocation');
          if (!store.hasBucket(bucket))
            throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', bucket);
          return sendXml(r, 200, 'LocationConstraint', {});
        }
        return listObjects(store, hooks, r);
      case 'POST':
        if (query.has('delete')) return deleteObjects(store, hooks, r, (await body()).toString('utf8'));
        throw notAllowed();
      default:
        throw notAllowed();
    }
  }
  const uploadId = query.get('uploadId') ?? undefined;
  switch (method) {
    case 'PUT': {
      if (uploadId !== undefined) {
        op('UploadPart');
        if (req.headers['x-amz-copy-source'] !== undefined) throw notImplemented('UploadPartCopy');
        const etag = store.uploadPart(bucket, key, uploadId, Number(query.get('partNumber')), await pieces());
        return send(r, 200, { etag });
      }
      const source = req.headers['x-amz-copy-source'];
      if (typeof source === 'string') {
        op('CopyObject');
        const [srcBucket, ...srcKey] = decodeURIComponent(source.split('?')[0]!.replace(/^\//, '')).split(
          '/',
        );
        const src = store.get(srcBucket!, srcKey.join('/'));
        const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
        const copy = store.put(
          bucket,
          key,
          src.chunks,
          replace ? contentType(req) : src.contentType,
          replace ? metadataOf(req) : src.metadata,
        );
        hooks.changed();
        return sendXml(r, 200, 'CopyObjectResult', { ETag: copy.etag, LastModified: iso(copy.lastModified) });
      }
      op('PutObject');
      const obj = store.put(bucket, key, await pieces(), contentType(req), metadataOf(req));
      hooks.changed();
      return send(r, 200, { etag: obj.etag });
    }
    case 'POST':
      if (query.has('uploads')) {
        op('CreateMultipartUpload');
        const id = store.createUpload(bucket, key, contentType(req), metadataOf(req));
        return sendXml(r, 200, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: id });
      }
      if (uploadId !== undefined) {
        op('CompleteMultipartUpload');
        const parts = parseCompleteParts((await body()).toString('utf8'));
        if (!parts) throw new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed.');
        const obj = store.complete(bucket, key, uploadId, parts);
        hooks.changed();
        return sendXml(r, 200, 'CompleteMultipartUploadResult', {
          Location: `/${bucket}/${key}`,
          Bucket: bucket,
          Key: key,
          ETag: obj.etag,
        });
      }
      throw notAllowed();
    case 'GET':
    case 'HEAD': {
      if (uploadId !== undefined) throw notImplemented('ListParts');
      op(method === 'GET' ? 'GetObject' : 'HeadObject');
      return sendObject(r, store.get(bucket, key), method === 'HEAD');
    }
    case 'DELETE':
      if (uploadId !== undefined) {
        op('AbortMultipartUpload');
        store.abort(bucket, key, uploadId);
        return send(r, 204);
      }
      op('DeleteObject');
      store.delete(bucket, key);
      hooks.changed();
      return send(r, 204);
    default:
      throw notAllowed();
  }
}

function contentType(req: IncomingMessage): string | undefined {
  return req.headers['content-type'];
}

function metadataOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [h, v] of Object.entries(req.headers))
    if (h.startsWith('x-amz-meta-') && typeof v === 'string') out[h.slice(11)] = v;
  return out;
}
