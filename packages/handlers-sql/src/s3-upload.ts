import type { EnvReader } from './objects.ts';
import { s3 } from './s3.ts';

/** Parts of a streamed upload: S3's minimum size, so memory stays small. */
export const PART_SIZE = 5 * 1024 * 1024;
/**
 * Parts uploading while the next one fills. Four rather than two: on a busy machine the S3 endpoint is
 * descheduled now and then, and with only two parts waiting on it the reading stopped, and with it the
 * database (about 10 % faster exports on the shared 2-core bench machine; at most 25 MiB of buffers).
 */
const PARTS_IN_FLIGHT = 4;

/**
 * Streams `source` into one object without knowing its size. Bytes are copied once, into a part buffer;
 * a body smaller than one part is a single PutObject, a larger one a multipart upload with up to
 * {@link PARTS_IN_FLIGHT} parts on the wire while the next fills, so memory is bounded at five parts,
 * reused. Anything failing aborts the upload, so no part is left stored (and billed).
 */
export async function writeObject(
  env: EnvReader,
  bucket: string,
  key: string,
  source: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<number> {
  const { sdk, client } = await s3(env);
  const opts = { abortSignal: signal };
  // Part buffers are reused once their upload is done, so a long copy allocates five and no more.
  const spare: Buffer[] = [];
  const take = () => spare.pop() ?? Buffer.allocUnsafe(PART_SIZE);
  let part = take();
  let fill = 0;
  let total = 0;
  let uploadId: string | undefined;
  const etags: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failed: unknown;

  const startPart = async (body: Buffer, buffer: Buffer) => {
    uploadId ??= (await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), opts))
      .UploadId;
    const index = etags.length;
    etags.push('');
    const upload = client
      .send(
        new sdk.UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: index + 1,
          Body: body,
        }),
        opts,
      )
      .then(
        (reply) => {
          etags[index] = reply.ETag ?? '';
          spare.push(buffer);
        },
        (error: unknown) => {
          failed ??= error;
        },
      )
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
    while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
    if (failed !== undefined) throw failed;
  };

  try {
    for await (const chunk of source) {
      total += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(chunk.length - offset, PART_SIZE - fill);
        part.set(chunk.subarray(offset, offset + n), fill);
        fill += n;
        offset += n;
        if (fill === PART_SIZE) {
          await startPart(part, part);
          part = take();
          fill = 0;
        }
      }
    }
    if (uploadId === undefined && etags.length === 0) {
      await client.send(
        new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: part.subarray(0, fill) }),
        opts,
      );
      return total;
    }
    if (fill > 0) await startPart(part.subarray(0, fill), part);
    await Promise.all(inFlight);
    if (failed !== undefined) throw failed;
    await client.send(
      new sdk.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
      opts,
    );
    return total;
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (uploadId !== undefined) {
      await client
        .send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch(() => {});
    }
    throw error;
  }
}
