/**
 * Text that goes into a failure message. A command's stderr is arbitrary bytes (colour codes, progress
 * bars, binary); quoted as-is it garbles the console and can make the service refuse the status, so the
 * shell handlers quote it printable and bounded. (Core sanitizes every field again for the wire; this is
 * about the message still reading well.)
 */

/** Most characters of a failure message the handlers build, stderr quote included. */
export const MAX_MESSAGE_CHARS = 4096;

// CSI (colours, cursor moves), OSC (titles, hyperlinks) and two-character escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?/g;
// Other C0 controls but tab, newline and carriage return; DEL and the C1 block.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** Escape sequences removed, other control characters shown as U+FFFD, `\r\n` and lone `\r` as `\n`. */
export function printable(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '\uFFFD').replace(/\r\n?/g, '\n');
}

/** At most `max` UTF-16 units, never splitting a surrogate pair, with "…" when cut. */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** `String(value)` that never throws (`Object.create(null)`, a throwing toString) and stays short. */
export function describeThrown(value: unknown, max = 1000): string {
  let text: string;
  try {
    text = value instanceof Error ? value.message : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return bounded(printable(text), max);
}
