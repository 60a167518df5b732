/**
 * The Bun host of the tasklane CLI: runtime primitives from @tasklane/runtime/bun and HTTP through
 * Bun.serve. Bun runs the workspace packages from their TypeScript sources (the "bun" export condition).
 */
import 'reflect-metadata';
// The slim entry: commands load on use, so `run` does not pay for the rest of the CLI.
import { processHost, runCli } from '@tasklane/cli/main';
import { createRuntime } from '@tasklane/runtime/bun';
import { fileURLToPath } from 'node:url';

declare const Bun: {
  serve(options: {
    fetch: (request: Request) => Response | Promise<Response>;
    port: number;
    hostname: string;
  }): { port: number; stop(force?: boolean): Promise<void> | void };
};

await runCli({
  ...processHost({
    runtime: createRuntime(),
    bin: fileURLToPath(new URL('../bin/tasklane', import.meta.url)),
  }),
  // Only the BullMQ dashboard needs it: a plain `run` starts without loading hono.
  loadServeStatic: async () => (await import('hono/bun')).serveStatic,
  serve: (app, { port, hostname }) => {
    const server = Bun.serve({ fetch: (request) => app.fetch(request), port, hostname });
    return Promise.resolve({
      port: server.port,
      close: async () => {
        // Responses in flight (the 202 of the POST /drain that stopped us) get a short grace; then
        // stop(true) closes every connection still open (idle, half-open), so none can hold the process.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, 250)));
        await Promise.race([Promise.resolve(server.stop(false)), grace]);
        clearTimeout(timer);
        await server.stop(true);
      },
    });
  },
});
