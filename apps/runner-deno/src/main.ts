/**
 * The Deno host of the tasklane CLI: runtime primitives from @tasklane/runtime/deno and HTTP through
 * Deno.serve. Deno runs the workspace packages from their TypeScript sources (the "deno" export condition).
 */
import 'reflect-metadata';
import type { Host } from '@tasklane/cli';
// The slim entry: commands load on use, so `run` does not pay for the rest of the CLI.
import { main } from '@tasklane/cli/main';
import { createRuntime } from '@tasklane/runtime/deno';
import { serveStatic } from 'hono/deno';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

const bin = fileURLToPath(new URL('../bin/tasklane', import.meta.url));

const host: Host = {
  runtime: createRuntime(),
  isTTY: process.stdout.isTTY === true,
  serveStatic,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  selfCommand: () => [bin],
  dataPipelineClientConfig: () => ({
    requestHandler: { requestTimeout: 100_000, throwOnRequestTimeout: true },
  }),
  serve: (app, { port, hostname }) => {
    const server = Deno.serve({ port, hostname, onListen: () => {} }, (request) => app.fetch(request));
    return Promise.resolve({ port: server.addr.port, close: () => server.shutdown() });
  },
};

const code = await main(process.argv.slice(2), host);
process.exit(code);
