import type { RuntimePrimitives } from '@tasklane/core';
import process from 'node:process';
import { main } from './cli.ts';
import type { Host } from './host.ts';
import { redactText } from './security/redact.ts';

let rejectionListener: ((reason: unknown) => void) | undefined;
let rejectionHandlerInstalled = false;

/**
 * One process-wide handler: a stray rejection (a plugin's forgotten promise, a `void stop()` in a
 * supervisor) is reported, never fatal. Node, Bun and Deno all honour `unhandledRejection` listeners.
 */
function installRejectionHandler(): void {
  if (rejectionHandlerInstalled) return;
  rejectionHandlerInstalled = true;
  process.on('unhandledRejection', (reason: unknown) => {
    if (rejectionListener) {
      rejectionListener(reason);
      return;
    }
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    process.stderr.write(`tasklane: unhandled promise rejection (kept running): ${redactText(text)}\n`);
  });
}

/**
 * The parts of a {@link Host} that Node, Bun and Deno provide the same way (through node:process), so
 * each runtime app only adds what really differs: its HTTP server and static files.
 */
export function processHost(options: {
  runtime: RuntimePrimitives;
  /** This app's bin/tasklane, for commands that start more runner processes (the demo fleet). */
  bin: string;
}): Omit<Host, 'serve' | 'serveStatic' | 'loadServeStatic'> {
  installRejectionHandler();
  return {
    runtime: options.runtime,
    isTTY: process.stdout.isTTY === true,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    selfCommand: () => [options.bin],
    // The service holds a poll up to 90 s: the request timeout must outlast it (protocol §5).
    dataPipelineClientConfig: () => ({
      requestHandler: { requestTimeout: 100_000, throwOnRequestTimeout: true },
    }),
    onUnhandledRejection(listener) {
      rejectionListener = listener;
      return () => {
        if (rejectionListener === listener) rejectionListener = undefined;
      };
    },
  };
}

/**
 * Runs the CLI with the process arguments and exits with its code once stdout is flushed; open
 * sockets (Redis, keep-alive) must not keep a stopped runner alive.
 */
export async function runCli(host: Host): Promise<never> {
  const code = await main(process.argv.slice(2), host);
  return new Promise<never>(() => process.stdout.write('', () => process.exit(code)));
}
