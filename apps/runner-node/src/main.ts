#!/usr/bin/env node
/**
 * The Node host of the tasklane CLI: runtime primitives from @tasklane/runtime/node, HTTP through
 * @hono/node-server, and an AWS SDK HTTP handler whose request timeout outlasts the 90 s long poll.
 */
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Host } from '@tasklane/cli';
// The slim entry: commands load on use, so `run` does not pay for the rest of the CLI.
import { main } from '@tasklane/cli/main';
import { createRuntime } from '@tasklane/runtime/node';
import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/tasklane', import.meta.url));

const host: Host = {
  runtime: createRuntime(),
  isTTY: process.stdout.isTTY === true,
  serveStatic,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  selfCommand: () => [bin],
  dataPipelineClientConfig: () => ({
    requestHandler: new NodeHttpHandler({
      requestTimeout: 100_000,
      throwOnRequestTimeout: true,
      connectionTimeout: 10_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new Agent({ keepAlive: true, maxSockets: 256 }),
    }),
  }),
  serve: (app, { port, hostname }) =>
    new Promise((resolve, reject) => {
      const server = serve({ fetch: app.fetch, port, hostname }, (info) =>
        resolve({
          port: info.port,
          close: () => new Promise<void>((done) => server.close(() => done())),
        }),
      );
      server.once('error', reject);
    }),
};

const code = await main(process.argv.slice(2), host);
// Flush stdout before exiting; open sockets (Redis, keep-alive) must not keep a stopped runner alive.
process.stdout.write('', () => process.exit(code));
