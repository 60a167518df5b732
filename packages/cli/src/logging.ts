import type { Logger } from '@tasklane/core';
import { pino, type DestinationStream } from 'pino';
import { redact, redactText, redactUrl } from './security/redact.ts';

export type LogFormat = 'json' | 'pretty';

/**
 * A pino logger whose every line goes through the redaction layer: message text and all fields (nested
 * objects, errors and their causes) have URL passwords, secret-named fields and ioredis command arguments
 * masked, whoever logged them (core, the coordinator, the BullMQ source, a plugin). Pretty output runs
 * in-process (not as a worker-thread transport) so it behaves the same on Node, Bun and Deno.
 */
export async function createLogger(options: {
  level: string;
  format: LogFormat;
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}): Promise<Logger & { level: string }> {
  const stream =
    options.format === 'pretty'
      ? // Loaded only when asked for: JSON logging (the default) should not pay for the pretty printer.
        (await import('pino-pretty')).default({
          colorize: true,
          translateTime: 'HH:MM:ss.l',
          ignore: 'pid,hostname',
          sync: true,
        })
      : options.destination;
  // pino's Logger type has a string index signature (custom levels), which TypeScript reads as a
  // possible `then`; the cast to our Logger interface is what lets an async function return it.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      formatters: { log: (object) => redact(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // The message (and printf-style arguments) may quote a URL: mask before pino formats it.
          const masked = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    stream as DestinationStream,
  ) as unknown as Logger & { level: string };
}

/** Hides the password of a URL such as redis://user:secret@host → redis://user:***@host. */
export const maskUrl = redactUrl;
