/**
 * Makes any value safe to send to Data Pipeline. The service model gives most string fields pattern P
 * (`[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*`) and a length; a status that breaks
 * either is refused with InvalidRequestException, which is not retried, so the attempt would end with no
 * terminal status at all. Nothing here throws, whatever it is given.
 */

/** Escape sequences terminals understand (colours, cursor moves, titles): noise in a stored error. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])/g;
const ELLIPSIS = '...';

/** `String(value)` that never throws (`Object.create(null)`, throwing `toString`, revoked proxies). */
export function safeString(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return `[${typeof value}]`;
    }
  }
}

function allowed(code: number): boolean {
  return (
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0d ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * Keeps what pattern P allows: drops ANSI escapes and control characters, turns lone surrogates into
 * U+FFFD, and cuts to at most `max` UTF-16 units on a code-point boundary (so the result is within
 * `max` whether the service counts units or code points), ending a cut text with `...`.
 */
export function sanitizeText(value: unknown, max: number): string {
  const limit = Math.max(0, Math.floor(max));
  // Stripping can only shorten the text, so a generous prefix is enough and bounds the work.
  let text = safeString(value);
  if (text.length > limit * 8 + 64) text = text.slice(0, limit * 8 + 64);
  text = text.replace(ANSI, '');
  const parts: string[] = [];
  let length = 0;
  let cut = false;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const lone = char.length === 1 && code >= 0xd800 && code <= 0xdfff;
    const kept = lone ? '\uFFFD' : allowed(code) ? char : '';
    if (kept === '') continue;
    if (length + kept.length > limit) {
      cut = true;
      break;
    }
    parts.push(kept);
    length += kept.length;
  }
  if (!cut) return parts.join('');
  // Make room for the ellipsis by dropping whole code points from the end.
  const room = Math.max(0, limit - ELLIPSIS.length);
  while (length > room && parts.length > 0) length -= parts.pop()!.length;
  return parts.join('') + ELLIPSIS.slice(0, limit - length);
}

/** True when `text` matches pattern P (no sanitizing needed), for tests and assertions. */
export function matchesPatternP(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) return false;
    if (!allowed(code)) return false;
  }
  return true;
}
