import type { MiddlewareHandler } from 'hono';
import { createHash, timingSafeEqual } from 'node:crypto';

/** How the ops server guards what changes state. */
export interface HttpGuardOptions {
  /** The bearer token of `--http-token`; absent: every mutating request is refused. */
  readonly token: string | undefined;
  /** Path prefixes whose mutating requests are refused outright (the dashboard without `--dashboard-write`). */
  readonly readOnlyPrefixes?: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Compares in constant time: both sides are hashed first, so neither the length nor a prefix leaks. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function refuse(status: number, reason: string): Response {
  return new Response(JSON.stringify({ error: reason }), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/**
 * The checks in front of every mutating request (anything but GET/HEAD/OPTIONS), in order:
 * 1. a foreign `Origin` (a web page in an operator's browser, i.e. CSRF) is refused (403);
 * 2. read-only prefixes are refused (405);
 * 3. no token configured, or a missing or wrong `Authorization: Bearer` token, is refused (401);
 * 4. a body that is not `application/json` is refused (415): form posts and text/plain are what a
 *    cross-site page can send without a CORS preflight.
 * Reads (probes, /metrics, /fleet) pass untouched.
 */
export function httpGuard(options: HttpGuardOptions): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method.toUpperCase();
    if (SAFE_METHODS.has(method)) return next();
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      if (!sameOrigin(origin, c.req.header('host'))) return refuse(403, 'cross-origin requests are refused');
    }
    const path = c.req.path;
    if (options.readOnlyPrefixes?.some((p) => path === p || path.startsWith(`${p}/`)))
      return refuse(405, 'read-only: start the runner with --dashboard-write to allow changes');
    if (options.token === undefined)
      return refuse(401, 'mutating endpoints are disabled: start the runner with --http-token');
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !tokenMatches(match[1]!, options.token))
      return refuse(401, 'a valid Authorization: Bearer token is required');
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return refuse(415, 'the body must be application/json');
    return next();
  };
}
