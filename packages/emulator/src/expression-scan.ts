/**
 * Finds `#{…}` expressions in one left-to-right pass. A backtracking regex here was cubic: `#{` and a few
 * thousand spaces blocked the event loop for seconds, so every caller goes through this scanner instead.
 */

export interface ExpressionSpan {
  /** Index of `#`. */
  start: number;
  /** Index just past the closing `}`. */
  end: number;
  /** Text between the braces, trimmed. */
  body: string;
}

/**
 * The expressions of `text` in order. Quoted strings inside an expression may hold `}`. An unterminated
 * `#{` ends the scan (`unterminated` is its index) and the rest of the text is literal.
 */
export function scanExpressions(text: string): { spans: ExpressionSpan[]; unterminated?: number } {
  const spans: ExpressionSpan[] = [];
  let pos = 0;
  for (;;) {
    const start = text.indexOf('#{', pos);
    if (start < 0) return { spans };
    let i = start + 2;
    let quote = '';
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote !== '') {
        if (c === quote) quote = '';
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '}') break;
    }
    if (i >= text.length) return { spans, unterminated: start };
    spans.push({ start, end: i + 1, body: text.slice(start + 2, i).trim() });
    pos = i + 1;
  }
}

/** Replaces every expression with `fn(body, whole)`; an unterminated tail is kept as written. */
export function replaceExpressions(text: string, fn: (body: string, whole: string) => string): string {
  if (!text.includes('#{')) return text;
  const { spans } = scanExpressions(text);
  let out = '';
  let pos = 0;
  for (const sp of spans) {
    out += text.slice(pos, sp.start) + fn(sp.body, text.slice(sp.start, sp.end));
    pos = sp.end;
  }
  return out + text.slice(pos);
}
