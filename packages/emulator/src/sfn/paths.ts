/**
 * The JSONPath subset activity workflows use: `$`, `$.a.b`, `$.a[0]`, and `$$.` for the context object.
 * Enough for InputPath, Parameters (`key.$`), ResultPath and OutputPath.
 */
import { SfnError } from './errors.ts';

type Json = unknown;

function steps(path: string): Array<string | number> {
  const rest = path.startsWith('$$') ? path.slice(2) : path.slice(1);
  const out: Array<string | number> = [];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']*)'\]/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < rest.length && (m = re.exec(rest)) !== null) {
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
  }
  if (re.lastIndex !== rest.length) throw new SfnError('States.Runtime', `Unsupported path '${path}'`);
  return out;
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `path` from `input` (or `context` for `$$`); throws States.Runtime when it is missing. */
export function readPath(path: string, input: Json, context: Json): Json {
  let value: Json = path.startsWith('$$') ? context : input;
  for (const step of steps(path)) {
    if (
      typeof step === 'number'
        ? Array.isArray(value) && step < value.length
        : isObject(value) && step in value
    )
      value = (value as Record<string | number, Json>)[step];
    else throw new SfnError('States.Runtime', `The JSONPath '${path}' could not be found in the input`);
  }
  return value;
}

/** Whether `path` resolves (Choice's IsPresent). */
export function hasPath(path: string, input: Json): boolean {
  try {
    readPath(path, input, {});
    return true;
  } catch {
    return false;
  }
}

/** A Parameters / ResultSelector template: keys ending in `.$` take a path's value. */
export function applyTemplate(template: Json, input: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((t) => applyTemplate(t, input, context));
  if (!isObject(template)) return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string')
      out[key.slice(0, -2)] = readPath(value, input, context);
    else out[key] = applyTemplate(value, input, context);
  }
  return out;
}

/** ResultPath: `null` keeps the input, `$` replaces it, `$.a.b` sets a field of a copy. */
export function writeResult(input: Json, resultPath: string | null | undefined, result: Json): Json {
  if (resultPath === null) return input;
  if (resultPath === undefined || resultPath === '$') return result;
  const path = steps(resultPath);
  const root: Json = isObject(input) ? structuredClone(input) : {};
  let node = root as Record<string | number, Json>;
  for (const [i, step] of path.entries()) {
    if (i === path.length - 1) node[step] = result;
    else {
      if (!isObject(node[step])) node[step] = {};
      node = node[step] as Record<string, Json>;
    }
  }
  return root;
}

/** InputPath / OutputPath: `null` gives `{}`, absent gives the whole value. */
export function selectPath(value: Json, path: string | null | undefined): Json {
  if (path === null) return {};
  if (path === undefined || path === '$') return value;
  return readPath(path, value, {});
}
