import type { Readable } from 'node:stream';

/**
 * Wraps a Node readable as a web ReadableStream with real backpressure: the source is paused whenever
 * the web queue is full and resumed on pull, so a fast writer never piles output up in memory.
 * (Readable.toWeb on Node 20 queues eagerly in some versions; this keeps the bound explicit.)
 */
export function toWebStream(readable: Readable): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        readable.on('data', (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) readable.pause();
        });
        readable.once('end', () => controller.close());
        readable.once('error', (error) => controller.error(error));
        readable.pause();
      },
      pull() {
        readable.resume();
      },
      cancel() {
        readable.destroy();
      },
    },
    // Bytes, not chunks: at most ~64 KiB waits in the queue before the pipe is left to fill up.
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );
}
