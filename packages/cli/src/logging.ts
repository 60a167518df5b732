import type { Logger } from '@tasklane/core';
import { pino, type DestinationStream } from 'pino';

/** Field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'credentials',
  '*.credentials',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'redisUrl',
  '*.redisUrl',
];

export type LogFormat = 'json' | 'pretty';

/**
 * A pino logger. Pretty output runs in-process (not as a worker-thread transport) so it behaves the same
 * on Node, Bun and Deno. Credentials inside URLs are masked before logging by `maskUrl`.
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
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    stream as DestinationStream,
  ) as unknown as Logger & { level: string };
}

/** Hides the password of a URL such as redis://user:secret@host → redis://user:***@host. */
export function maskUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
