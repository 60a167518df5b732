import type { Logger } from '@tasklane/core';
import { pino, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

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
export function createLogger(options: {
  level: string;
  format: LogFormat;
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}): Logger & { level: string } {
  const stream =
    options.format === 'pretty'
      ? pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', sync: true })
      : options.destination;
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    stream as DestinationStream,
  );
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
