import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker as NodeWorker } from 'node:worker_threads';
import type { ThreadHandle } from '@tasklane/core';

/**
 * Node's worker_threads speak EventEmitter, not the Web Worker API, and give the thread `parentPort`
 * instead of `postMessage`/`onmessage`: this CommonJS bootstrap hands the module a port it understands.
 */
const NODE_BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.__tasklaneThreadPort = {
  post: (message) => parentPort.postMessage(message),
  listen: (listener) => parentPort.on('message', listener),
};
import(workerData.url).catch((error) => setImmediate(() => { throw error; }));
`;

/** Node 20 cannot run TypeScript in a thread: run a package's built `dist/x.js` for its `src/x.ts`. */
function runnableOnNode(url: URL): URL {
  if (url.protocol !== 'file:' || !url.pathname.endsWith('.ts')) return url;
  const built = fileURLToPath(url).replace(/([\\/])src([\\/])(.*)\.ts$/, '$1dist$2$3.js');
  return existsSync(built) ? pathToFileURL(built) : url;
}

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'error',
    listener: (event: { error?: unknown; message?: string; preventDefault(): void }) => void,
  ): void;
  terminate(): void;
  unref?(): void;
}

type WebWorkerConstructor = new (url: string, options: { type: 'module' }) => WebWorker;

/**
 * Starts a thread running the ES module at `url`: a Web `Worker` where the runtime has one (Bun, Deno),
 * else a worker_threads Worker (Node). The thread never keeps the process alive on its own.
 */
export function startThread(url: URL): ThreadHandle {
  const Web = (globalThis as { Worker?: WebWorkerConstructor }).Worker;
  if (typeof Web === 'function') {
    const worker = new Web(url.href, { type: 'module' });
    worker.unref?.();
    return {
      postMessage: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.addEventListener('message', (event) => listener(event.data)),
      onError: (listener) =>
        worker.addEventListener('error', (event) => {
          // Deno ends the whole process on an unhandled worker error; the runner falls back instead.
          event.preventDefault();
          listener(event.error ?? new Error(event.message ?? 'thread failed'));
        }),
      terminate: () => worker.terminate(),
    };
  }
  const worker = new NodeWorker(NODE_BOOTSTRAP, {
    eval: true,
    workerData: { url: runnableOnNode(url).href },
  });
  worker.unref();
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onError: (listener) => worker.on('error', listener),
    terminate: () => void worker.terminate(),
  };
}
