/** Bucket-level reads and batch deletes: ListObjects(V2) and DeleteObjects. */
import { iso, sendXml } from './respond.ts';
import type { S3Hooks, S3Request } from './respond.ts';
import { S3Error } from './store.ts';
import type { S3Store } from './store.ts';
import { parseDelete } from './xml.ts';

export function listObjects(store: S3Store, hooks: S3Hooks, r: S3Request): void {
  const q = r.query;
  const v2 = q.get('list-type') === '2';
  hooks.request(v2 ? 'ListObjectsV2' : 'ListObjects');
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxRaw = q.get('max-keys');
  const maxKeys = maxRaw === null ? 1000 : Number(maxRaw);
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new S3Error('InvalidArgument', 400, 'Provided max-keys not an integer or within integer range');
  const token = q.get('continuation-token') ?? undefined;
  let after: string | undefined;
  if (v2 && token !== undefined) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (token === '' || Buffer.from(after, 'utf8').toString('base64url') !== token)
      throw new S3Error('InvalidArgument', 400, 'The continuation token provided is incorrect');
  } else after = (v2 ? q.get('start-after') : q.get('marker')) ?? undefined;
  const result = store.list(r.bucket, { prefix, delimiter, maxKeys: Math.min(maxKeys, 1000), after });
  const encode = q.get('encoding-type') === 'url';
  const enc = (s: string) => (encode ? encodeURIComponent(s).replaceAll('%2F', '/') : s);
  const contents = result.contents.map(([k, o]) => ({
    Key: enc(k),
    LastModified: iso(o.lastModified),
    ETag: o.etag,
    Size: o.size,
    StorageClass: 'STANDARD',
  }));
  const common = result.commonPrefixes.map((p) => ({ Prefix: enc(p) }));
  const next = result.truncated && result.last !== undefined ? result.last : undefined;
  sendXml(r, 200, 'ListBucketResult', {
    Name: r.bucket,
    Prefix: enc(prefix),
    ...(v2
      ? {
          KeyCount: contents.length + common.length,
          ContinuationToken: token,
          StartAfter: q.get('start-after') ?? undefined,
        }
      : { Marker: q.get('marker') ?? '' }),
    MaxKeys: maxKeys,
    Delimiter: delimiter === '' ? undefined : enc(delimiter),
    EncodingType: encode ? 'url' : undefined,
    IsTruncated: result.truncated,
    ...(v2
      ? {
          NextContinuationToken:
            next === undefined ? undefined : Buffer.from(next, 'utf8').toString('base64url'),
        }
      : { NextMarker: next !== undefined && delimiter !== '' ? enc(next) : undefined }),
    Contents: contents,
    CommonPrefixes: common,
  });
}

export function deleteObjects(store: S3Store, hooks: S3Hooks, r: S3Request, xml: string): void {
  hooks.request('DeleteObjects');
  const parsed = parseDelete(xml);
  if (!parsed || parsed.keys.length > 1000)
    throw new S3Error(
      'MalformedXML',
      400,
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  if (!store.hasBucket(r.bucket))
    throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', r.bucket);
  for (const k of parsed.keys) store.delete(r.bucket, k);
  hooks.changed();
  sendXml(r, 200, 'DeleteResult', { Deleted: parsed.quiet ? [] : parsed.keys.map((k) => ({ Key: k })) });
}
