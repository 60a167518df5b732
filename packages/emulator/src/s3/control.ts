/** The in-process S3 handle (`emulator.s3`) over the store. */
import type { EmulatorS3 } from '../types.ts';
import type { S3Store } from './store.ts';

export function createS3Control(store: S3Store, endpoint: string, changed: () => void): EmulatorS3 {
  return {
    endpoint,
    createBucket(name) {
      store.createBucket(name);
      changed();
    },
    putObject(bucket, key, body, contentType) {
      store.put(bucket, key, typeof body === 'string' ? new TextEncoder().encode(body) : body, contentType);
      changed();
    },
    getObject(bucket, key) {
      return store.peek(bucket, key)?.data;
    },
    listKeys(bucket, prefix = '') {
      if (!store.hasBucket(bucket)) return [];
      const keys: string[] = [];
      let after: string | undefined;
      for (;;) {
        const r = store.list(bucket, { prefix, delimiter: '', maxKeys: 1000, after });
        for (const [k] of r.contents) keys.push(k);
        if (!r.truncated) return keys;
        after = r.last;
      }
    },
    openUploads: () => store.openUploads(),
  };
}
