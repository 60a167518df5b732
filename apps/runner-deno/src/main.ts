/**
 * The Deno host of the tasklane CLI: runtime primitives from @tasklane/runtime/deno and HTTP through
 * Deno.serve. Deno runs the workspace packages from their TypeScript sources (the "deno" export condition).
 */
import 'reflect-metadata';
// The slim entry: commands load on use, so `run` does not pay for the rest of the CLI.
import { processHost, runCli } from '@tasklane/cli/main';
import { createRuntime } from '@tasklane/runtime/deno';
import { serveStatic } from 'hono/deno';
import { fileURLToPath } from 'node:url';

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

await runCli({
  ...processHost({
    runtime: createRuntime(),
    bin: fileURLToPath(new URL('../bin/tasklane', import.meta.url)),
  }),
  serveStatic,
  serve: (app, { port, hostname }) => {
    const server = Deno.serve({ port, hostname, onListen: () => {} }, (request) => app.fetch(request));
    // shutdown() stops accepting and does not wait for connections that never sent a whole request.
    return Promise.resolve({ port: server.addr.port, close: () => server.shutdown() });
  },
});
