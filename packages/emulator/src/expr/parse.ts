/**
 * Parser for the body of one `#{…}` expression: numbers, quoted strings, field paths
 * (`myField`, `@scheduledStartTime`, `node.@actualStartTime`, `input.directoryPath`), function calls
 * and + - * / with the usual precedence. Hand-written and linear, so hostile input cannot stall it.
 */

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'path'; parts: string[] }
  | { k: 'call'; name: string; args: Expr[] }
  | { k: 'bin'; op: '+' | '-' | '*' | '/'; l: Expr; r: Expr }
  | { k: 'neg'; e: Expr };

export class ExpressionError extends Error {}

type Token =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string }
  | { t: 'end' };

const IDENT_START = /[A-Za-z_@]/;
const IDENT_PART = /[\w]/;
const DIGIT = /[0-9]/;
const MAX_DEPTH = 64;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (DIGIT.test(c)) {
      let j = i + 1;
      while (j < src.length && (DIGIT.test(src[j]!) || src[j] === '.')) j++;
      const v = Number(src.slice(i, j));
      if (!Number.isFinite(v)) throw new ExpressionError(`invalid number '${src.slice(i, j)}'`);
      out.push({ t: 'num', v });
      i = j;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        v += src[j];
        j++;
      }
      if (j >= src.length) throw new ExpressionError('unterminated string');
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < src.length && IDENT_PART.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j) });
      i = j;
    } else if ('(),.+-*/'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else {
      throw new ExpressionError(`unexpected character '${c}'`);
    }
  }
  out.push({ t: 'end' });
  return out;
}

/** Parses one expression body; throws ExpressionError with a short reason. */
export function parseExpression(src: string): Expr {
  if (src.trim() === '') throw new ExpressionError('empty expression');
  const toks = tokenize(src);
  let pos = 0;
  let depth = 0;
  const peek = () => toks[pos]!;
  const isOp = (v: string) => {
    const t = peek();
    return t.t === 'op' && t.v === v;
  };
  const expectOp = (v: string) => {
    if (!isOp(v)) throw new ExpressionError(`expected '${v}'`);
    pos++;
  };
  const additive = (): Expr => {
    let l = multiplicative();
    while (isOp('+') || isOp('-')) {
      const op = (toks[pos++] as { v: '+' | '-' }).v;
      l = { k: 'bin', op, l, r: multiplicative() };
    }
    return l;
  };
  const multiplicative = (): Expr => {
    let l = unary();
    while (isOp('*') || isOp('/')) {
      const op = (toks[pos++] as { v: '*' | '/' }).v;
      l = { k: 'bin', op, l, r: unary() };
    }
    return l;
  };
  const unary = (): Expr => {
    if (isOp('-')) {
      pos++;
      return { k: 'neg', e: primary() };
    }
    return primary();
  };
  const primary = (): Expr => {
    // Nesting is bounded so that a hostile expression cannot exhaust the stack.
    if (++depth > MAX_DEPTH) throw new ExpressionError(`nested deeper than ${MAX_DEPTH} levels`);
    try {
      return primaryInner();
    } finally {
      depth--;
    }
  };
  const primaryInner = (): Expr => {
    const t = toks[pos++]!;
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const e = additive();
      expectOp(')');
      return e;
    }
    if (t.t !== 'id') throw new ExpressionError(t.t === 'end' ? 'unexpected end' : `unexpected '${t.v}'`);
    if (isOp('(')) {
      pos++;
      const args: Expr[] = [];
      if (!isOp(')')) {
        args.push(additive());
        while (isOp(',')) {
          pos++;
          args.push(additive());
        }
      }
      expectOp(')');
      return { k: 'call', name: t.v, args };
    }
    const parts = [t.v];
    while (isOp('.')) {
      pos++;
      const seg = toks[pos++]!;
      if (seg.t !== 'id') throw new ExpressionError("expected a field name after '.'");
      parts.push(seg.v);
    }
    return { k: 'path', parts };
  };
  const e = additive();
  if (peek().t !== 'end') throw new ExpressionError('unexpected text after the expression');
  return e;
}

/** Names of every function the expression calls. */
export function calledFunctions(e: Expr, out: string[] = []): string[] {
  if (e.k === 'call') {
    out.push(e.name);
    for (const a of e.args) calledFunctions(a, out);
  } else if (e.k === 'bin') {
    calledFunctions(e.l, out);
    calledFunctions(e.r, out);
  } else if (e.k === 'neg') calledFunctions(e.e, out);
  return out;
}
