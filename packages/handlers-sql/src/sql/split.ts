import type { Dialect } from '../database/spec.ts';

/** One statement of a script, with its `?` placeholders rewritten for the dialect. */
export interface Statement {
  /** The statement text, without the trailing `;`. PostgreSQL placeholders become `$1..$n`. */
  readonly sql: string;
  /** How many `?` placeholders it had. */
  readonly placeholders: number;
  /** 1-based line of the script where it starts, for error messages. */
  readonly line: number;
}

/**
 * Splits a script into statements at `;` and finds its `?` placeholders, skipping both inside quoted
 * strings, quoted identifiers, comments and (PostgreSQL) dollar-quoted bodies. A `?` is always a
 * placeholder outside those, so PostgreSQL's jsonb `?` operators must be written as functions
 * (`jsonb_exists`) in scripts that take arguments.
 */
export function splitScript(script: string, dialect: Dialect): Statement[] {
  const out: Statement[] = [];
  let text = '';
  let placeholders = 0;
  let hasCode = false;
  let line = 1;
  let startLine = 1;
  let i = 0;
  const n = script.length;
  const flush = () => {
    if (hasCode) out.push({ sql: text.trim(), placeholders, line: startLine });
    text = '';
    placeholders = 0;
    hasCode = false;
  };
  /** Copies script[i..end) into the statement, counting newlines. */
  const take = (end: number) => {
    const chunk = script.slice(i, end);
    for (const ch of chunk) if (ch === '\n') line++;
    // Comments before a statement's first token are dropped, so they never end up in its text.
    if (hasCode) text += chunk;
    i = end;
  };
  while (i < n) {
    const ch = script[i]!;
    const next = script[i + 1];
    if (!hasCode && /\s/.test(ch)) {
      if (ch === '\n') line++;
      i++;
      continue;
    }
    if (ch === '-' && next === '-') {
      take(lineEnd(script, i));
      continue;
    }
    if (ch === '#' && dialect === 'mysql') {
      take(lineEnd(script, i));
      continue;
    }
    if (ch === '/' && next === '*') {
      take(blockCommentEnd(script, i, dialect === 'postgres'));
      continue;
    }
    if (ch === ';') {
      i++;
      flush();
      continue;
    }
    if (!hasCode) {
      hasCode = true;
      startLine = line;
    }
    if (ch === "'" || ch === '"' || (ch === '`' && dialect === 'mysql')) {
      const backslash =
        dialect === 'mysql' ? ch !== '`' : ch === "'" && (script[i - 1] === 'E' || script[i - 1] === 'e');
      take(quotedEnd(script, i, ch, backslash));
      continue;
    }
    if (ch === '$' && dialect === 'postgres') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i, i + 64));
      if (tag && !/[A-Za-z0-9_]/.test(script[i - 1] ?? ' ')) {
        const close = script.indexOf(tag[0], i + tag[0].length);
        take(close < 0 ? n : close + tag[0].length);
        continue;
      }
    }
    if (ch === '?') {
      placeholders++;
      text += dialect === 'postgres' ? `$${placeholders}` : '?';
      i++;
      continue;
    }
    take(i + 1);
  }
  flush();
  return out;
}

function lineEnd(s: string, i: number): number {
  const end = s.indexOf('\n', i);
  return end < 0 ? s.length : end;
}

function blockCommentEnd(s: string, i: number, nested: boolean): number {
  let depth = 0;
  for (let j = i; j < s.length - 1; j++) {
    if (s[j] === '/' && s[j + 1] === '*') {
      depth = nested ? depth + 1 : 1;
      j++;
    } else if (s[j] === '*' && s[j + 1] === '/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return s.length;
}

function quotedEnd(s: string, i: number, quote: string, backslash: boolean): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (backslash && c === '\\') {
      j++;
      continue;
    }
    if (c === quote) {
      if (s[j + 1] === quote) {
        j++;
        continue;
      }
      return j + 1;
    }
  }
  return s.length;
}
