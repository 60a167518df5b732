/**
 * Evaluates `#{…}` expressions against an object: its fields (inherited and runtime), references to
 * other objects' fields, `node.` (the object the evaluation is for, e.g. the running activity) and
 * `parent.`. The same evaluator serves PollForTask objects, DescribeObjects(evaluateExpressions) and
 * EvaluateExpression, and its parser checks definitions at put time.
 */
import { scanExpressions } from '../expression-scan.ts';
import type { ApiField } from '../model.ts';
import { callFunction, isKnownFunction, toText } from './functions.ts';
import type { Value } from './functions.ts';
import { calledFunctions, ExpressionError, parseExpression } from './parse.ts';
import type { Expr } from './parse.ts';

export { ExpressionError };

/** One object as expressions see it. */
export interface Scope {
  readonly fields: readonly ApiField[];
  /** The object a reference points to, evaluated with the same `node`. */
  follow(ref: string): Scope | undefined;
  /** What `node.` means here; the object itself when unset. */
  readonly node?: Scope;
  /** Pipeline parameters, for `#{myParam}` inside larger expressions. */
  parameter?(name: string): string | undefined;
}

/** Fields referring to fields referring to … stop here: that is a cycle or abuse. */
const MAX_NESTING = 16;
/** Evaluation steps one call may take, so fan-out through nested fields cannot stall the emulator. */
export const DEFAULT_STEPS = 100_000;

/** Steps left for one evaluation; callers that evaluate many fields may share one. */
export interface Budget {
  left: number;
}

/**
 * Replaces every expression in `text`. `strict`: any failure is an ExpressionError (EvaluateExpression);
 * otherwise an expression that cannot be evaluated is left as written.
 */
export function evaluateText(
  text: string,
  scope: Scope,
  strict: boolean,
  budget: Budget = { left: DEFAULT_STEPS },
  depth = 0,
): string {
  if (!text.includes('#{')) return text;
  const { spans, unterminated } = scanExpressions(text);
  if (strict && unterminated !== undefined)
    throw new ExpressionError(`Unterminated expression at offset ${unterminated}: '#{' has no closing '}'.`);
  let out = '';
  let pos = 0;
  for (const sp of spans) {
    const whole = text.slice(sp.start, sp.end);
    let value: string;
    try {
      value = toText(evaluate(parseExpression(sp.body), scope, depth, budget));
    } catch (err) {
      // Whatever goes wrong inside one expression (a bad date, a hostile value) stays inside it: a poll
      // answer or a describe call must never fail because of it.
      if (!strict) value = whole;
      else
        throw new ExpressionError(`Unable to evaluate '${whole.slice(0, 200)}': ${(err as Error).message}`);
    }
    out += text.slice(pos, sp.start) + value;
    pos = sp.end;
  }
  return out + text.slice(pos);
}

function evaluate(e: Expr, scope: Scope, depth: number, budget: Budget): Value {
  if (--budget.left < 0) throw new ExpressionError('expression too complex');
  switch (e.k) {
    case 'num':
    case 'str':
      return e.v;
    case 'neg':
      return -number(evaluate(e.e, scope, depth, budget));
    case 'call':
      return callFunction(
        e.name,
        e.args.map((a) => evaluate(a, scope, depth, budget)),
      );
    case 'bin': {
      const l = evaluate(e.l, scope, depth, budget);
      const r = evaluate(e.r, scope, depth, budget);
      if (e.op === '+') {
        const ln = asNumber(l);
        const rn = asNumber(r);
        return ln !== undefined && rn !== undefined ? ln + rn : toText(l) + toText(r);
      }
      const a = number(l);
      const b = number(r);
      if (e.op === '-') return a - b;
      if (e.op === '*') return a * b;
      if (b === 0) throw new ExpressionError('division by zero');
      return a / b;
    }
    case 'path':
      return resolvePath(e.parts, scope, depth, budget);
  }
}

function asNumber(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function number(v: Value): number {
  const n = asNumber(v);
  if (n === undefined) throw new ExpressionError(`'${toText(v).slice(0, 64)}' is not a number`);
  return n;
}

function resolvePath(parts: readonly string[], scope: Scope, depth: number, budget: Budget): Value {
  let cur = scope;
  let i = 0;
  if (parts[0] === 'node' && !scope.fields.some((f) => f.key === 'node')) {
    cur = scope.node ?? scope;
    i = 1;
    if (parts.length === 1) throw new ExpressionError("'node' needs a field, as in node.@scheduledStartTime");
  }
  for (; i < parts.length; i++) {
    const seg = parts[i]!;
    const f = cur.fields.find((x) => x.key === seg);
    const last = i === parts.length - 1;
    if (!f) {
      const param = i === 0 && last ? scope.parameter?.(seg) : undefined;
      if (param !== undefined) return param;
      throw new ExpressionError(`field '${parts.slice(0, i + 1).join('.')}' is not set`);
    }
    if (last) {
      if (f.refValue !== undefined) return f.refValue;
      const v = f.stringValue ?? '';
      if (!v.includes('#{')) return v;
      if (depth >= MAX_NESTING)
        throw new ExpressionError('expressions refer to each other too deeply (a cycle?)');
      return evaluateText(v, cur, true, budget, depth + 1);
    }
    if (f.refValue === undefined) throw new ExpressionError(`'${seg}' is not a reference to another object`);
    const next = cur.follow(f.refValue);
    if (!next) throw new ExpressionError(`'${seg}' refers to '${f.refValue}', which does not exist`);
    cur = next;
  }
  throw new ExpressionError('empty path');
}

/** Put-time problems of one field value: syntax errors and unknown functions. */
export function expressionProblems(text: string): string[] {
  if (!text.includes('#{')) return [];
  const problems: string[] = [];
  const { spans, unterminated } = scanExpressions(text);
  for (const sp of spans) {
    const whole = text.slice(sp.start, sp.end).slice(0, 200);
    try {
      for (const name of calledFunctions(parseExpression(sp.body)))
        if (!isKnownFunction(name)) problems.push(`unknown function '${name}' in '${whole}'`);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      problems.push(`invalid expression '${whole}': ${err.message}`);
    }
  }
  if (unterminated !== undefined) problems.push(`unterminated expression at offset ${unterminated}`);
  return problems;
}
