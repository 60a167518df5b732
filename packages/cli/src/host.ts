import type { RuntimePrimitives } from '@tasklane/core';

/** Anything with a WHATWG fetch handler, such as a hono app. */
export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** A listening HTTP server started by the host. */
export interface ServedApp {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * What a runtime app (Node, Bun, Deno) gives the CLI. The CLI itself stays runtime-neutral: every
 * runtime-specific call goes through here.
 */
export interface Host {
  readonly runtime: RuntimePrimitives;
  /** Serves a fetch handler on a port (0 = any free port). */
  serve(app: FetchApp, options: { port: number; hostname: string }): Promise<ServedApp>;
  /** Extra AWS SDK client settings for this runtime (e.g. an HTTP handler with a 100 s request timeout). */
  dataPipelineClientConfig?(): Record<string, unknown>;
  /** argv that starts this same CLI as a new process, e.g. ['node', '/path/main.js']; used by the demo fleet. */
  selfCommand(): string[];
  /** Writes to stdout/stderr without a newline added. */
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * The runtime's hono `serveStatic` (from @hono/node-server/serve-static, hono/bun or hono/deno); the
   * BullMQ dashboard serves its assets through it. Absent: no dashboard.
   */
  readonly serveStatic?: unknown;
  /**
   * The same `serveStatic`, imported on first use: a runner without the dashboard (most of them) then
   * never loads hono at start-up. Used when `serveStatic` is absent.
   */
  loadServeStatic?(): Promise<unknown>;
  /** True when stdout is a terminal (live views, pretty logs). */
  readonly isTTY: boolean;
  /**
   * Routes process-wide unhandled promise rejections to `listener` instead of the default report (a line
   * on stderr); the process never dies of one. Returns a function that restores the default.
   */
  onUnhandledRejection?(listener: (reason: unknown) => void): () => void;
}
