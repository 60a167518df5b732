/**
 * The Deno host of the tasklane CLI: runtime primitives from @tasklane/runtime/deno and HTTP through
 * Deno.serve. Deno runs the workspace packages from their TypeScript sources (the "deno" export condition).
 */
import 'reflect-metadata';
// The slim entry: commands load on use, so `run` does not pay for the rest of the CLI.
import { processHost, runCli } from '@tasklane/cli/main';
import { createRuntime } from '@tasklane/runtime/deno';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

/**
 * The command that starts more runners. bin/tasklane (the checkout's launcher) is not executable once
 * published: npm marks only the package's `bin` entry, bin/tasklane.mjs, as such.
 */
function selfBin(): string {
  const launcher = fileURLToPath(new URL('../bin/tasklane', import.meta.url));
  try {
    accessSync(launcher, constants.X_OK);
    return launcher;
  } catch {
    return fileURLToPath(new URL('../bin/tasklane.mjs', import.meta.url));
  }
}

await runCli({
  ...processHost({
    runtime: createRuntime(),
    bin: selfBin(),
  }),
  // Only the BullMQ dashboard needs it: a plain `run` starts without loading hono.
  loadServeStatic: async () => (await import('hono/deno')).serveStatic,
  serve: (app, { port, hostname }) => {
    const server = Deno.serve({ port, hostname, onListen: () => {} }, (request) => app.fetch(request));
    // shutdown() stops accepting and does not wait for connections that never sent a whole request.
    return Promise.resolve({ port: server.addr.port, close: () => server.shutdown() });
  },
});
