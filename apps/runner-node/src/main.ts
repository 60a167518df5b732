#!/usr/bin/env node
/**
 * The Node host of the tasklane CLI: runtime primitives from @tasklane/runtime/node, HTTP through
 * @hono/node-server, and a keep-alive AWS SDK HTTP handler whose request timeout outlasts the 90 s poll.
 * Only what a plain `tasklane run` needs is imported up front (time to first poll and idle memory are
 * budgets, see the README): hono loads with the first `--http-port` server or dashboard.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
// The slim entry: commands load on use, so `run` does not pay for the rest of the CLI.
import { processHost, runCli } from '@tasklane/cli/main';
import { createRuntime } from '@tasklane/runtime/node';
import { Agent as HttpAgent, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { fileURLToPath } from 'node:url';

// Node 20 is supported. The AWS SDK's notice that its releases after the first week of January 2027 need
// Node 22 is ten lines of plain text on stderr among the runner's JSON log lines, in every process; the
// operators guide says it instead, and setting the variable to anything else brings the notice back.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

await runCli({
  ...processHost({
    runtime: createRuntime(),
    bin: fileURLToPath(new URL('../bin/tasklane', import.meta.url)),
  }),
  loadServeStatic: async () => (await import('@hono/node-server/serve-static')).serveStatic,
  dataPipelineClientConfig: () => ({
    requestHandler: new NodeHttpHandler({
      requestTimeout: 100_000,
      throwOnRequestTimeout: true,
      connectionTimeout: 10_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
    }),
  }),
  serve: async (app, { port, hostname }) => {
    const { serve } = await import('@hono/node-server');
    return new Promise((resolve, reject) => {
      const server = serve({ fetch: app.fetch, port, hostname }, (info) =>
        resolve({ port: info.port, close: () => closeServer(server as Server) }),
      );
      server.once('error', reject);
    });
  },
});

/**
 * Stops listening, drops idle keep-alive connections at once and every other one (a half-open request, a
 * slow client) after a short grace: `server.close()` alone waits for them, which kept a stopped runner alive.
 */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((done) => {
    server.close(() => done());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 250).unref();
  });
}
