/**
 * The one redaction layer of the CLI. Every sink that can show text an operator or a stranger reads (log
 * lines, error and usage messages, `--print-config`, `/fleet.json`, metric labels) passes through here, so
 * a secret is masked the same way everywhere and a new sink has one function to call.
 */

/** What replaces a secret. */
export const MASK = '***';

/** Names of fields and query parameters whose value is a secret (`sentinelPassword`, `apiToken`, `X-Amz-Signature`…). */
const SECRET_NAME = /pass(word|wd)?|secret|token|credential|auth|signature|private|api[-_]?key|session/i;

/** `scheme://userinfo@` anywhere in a text; userinfo may hold `/` or `:` (a password is arbitrary text). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s@"'<>]*)@/gi;

/** `?name=value` / `&name=value` pairs of a query string. */
const QUERY_PARAM = /([?&;])([^=&\s#"'<>]+)=([^&\s#"'<>]*)/g;

/** True when a field or parameter name says its value is a secret; Data Pipeline's `*`-prefixed fields are too. */
export function isSecretName(name: string): boolean {
  return name.startsWith('*') || SECRET_NAME.test(name);
}

function maskUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  // `user:password`: the ACL user name stays readable, the password goes. A lone token may be a secret.
  if (colon >= 0) {
    const user = userinfo.slice(0, colon);
    return `${user && !user.includes('/') ? user : ''}:${MASK}`;
  }
  return userinfo === '' ? '' : MASK;
}

/**
 * Masks every secret a text can carry: URL userinfo (`redis://user:***@host`) and password-like query
 * parameters (`?sentinelPassword=***`). Safe on any text; text without secrets comes back unchanged.
 */
export function redactText(text: string): string {
  if (!text.includes('@') && !text.includes('=')) return text;
  return text
    .replace(URL_USERINFO, (_, scheme: string, userinfo: string) => `${scheme}${maskUserinfo(userinfo)}@`)
    .replace(QUERY_PARAM, (whole, sep: string, name: string) =>
      isSecretName(decodeSafe(name)) ? `${sep}${name}=${MASK}` : whole,
    );
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** {@link redactText} for an optional URL (config values, log fields). */
export function redactUrl(url: string | undefined): string | undefined {
  return url === undefined ? undefined : redactText(url);
}

/** Error properties worth keeping in a log line; `command` (ioredis puts its arguments there) never is. */
const ERROR_FIELDS = ['code', 'errno', 'syscall', 'statusCode', 'option', 'errorId'] as const;

/** An error as a plain, redacted object: name, message, stack, code and cause; never ioredis's command arguments. */
export function redactError(error: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.name,
    message: redactText(String(error.message)),
  };
  if (typeof error.stack === 'string') out.stack = redactText(error.stack);
  const record = error as unknown as Record<string, unknown>;
  for (const key of ERROR_FIELDS) {
    const value = record[key];
    if (typeof value === 'string' || typeof value === 'number') out[key] = redact(value);
  }
  if (depth < 3 && error.cause !== undefined) out.cause = redact(error.cause, depth + 1);
  return out;
}

/**
 * A deep copy of a value with every secret masked: values under secret-looking keys become `***`,
 * strings go through {@link redactText}, errors through {@link redactError}. Cycles and depth are bounded.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return redactError(value, depth);
  if (depth > 8) return '[depth]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    // ioredis errors and replies carry the command with its arguments (AUTH password, job data).
    if (key === 'command' || key === 'args') continue;
    out[key] = isSecretName(key) && item !== undefined && item !== null ? MASK : redact(item, depth + 1);
  }
  return out;
}
