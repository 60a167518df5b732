/**
 * The small part of the expression language the emulator supports: `#{field}`, `#{@field}` and
 * `#{parent.field}`-style paths, plus `#{myParam}` parameter substitution at activation.
 */
import { InvalidRequestError } from './errors.ts';
import { replaceExpressions, scanExpressions } from './expression-scan.ts';
import type { ApiField, ApiObject, ParameterObject, ParameterValue } from './model.ts';

const PATH = /^@?[A-Za-z_][\w]*(?:\.@?[A-Za-z_][\w]*)*$/;

/**
 * Replaces every `#{path}`. `lookup(fields, name)` resolves one segment; `follow(ref)` gives the fields of a
 * referenced object. With `strict`, an unsupported or unresolved expression is an InvalidRequestException;
 * otherwise it is left as written.
 */
export function evaluateExpression(
  text: string,
  fields: readonly ApiField[],
  follow: (ref: string) => readonly ApiField[] | undefined,
  strict: boolean,
): string {
  if (strict) {
    const { unterminated } = scanExpressions(text);
    if (unterminated !== undefined)
      throw new InvalidRequestError(
        `Unterminated expression at offset ${unterminated}: '#{' has no closing '}'.`,
      );
  }
  return replaceExpressions(text, (path, whole) => {
    if (!PATH.test(path)) {
      if (strict)
        throw new InvalidRequestError(
          `Unsupported expression '${whole}': only #{field} and #{ref.field} paths are supported.`,
        );
      return whole;
    }
    let current: readonly ApiField[] | undefined = fields;
    const parts = path.split('.');
    for (let i = 0; i < parts.length && current; i++) {
      const f: ApiField | undefined = current.find((x) => x.key === parts[i]);
      if (!f) break;
      if (i === parts.length - 1) return f.stringValue ?? f.refValue ?? '';
      current = f.refValue !== undefined ? follow(f.refValue) : undefined;
    }
    if (strict)
      throw new InvalidRequestError(`Unable to evaluate expression '${whole}': field '${path}' is not set.`);
    return whole;
  });
}

/** Parameter values: object defaults, then the definition's values, then the activation's. */
export function parameterMap(
  objects: readonly ParameterObject[],
  ...valueLists: Array<readonly ParameterValue[] | undefined>
): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objects) {
    const d = o.attributes.find((a) => a.key === 'default');
    if (d) out.set(o.id, d.stringValue);
  }
  for (const list of valueLists) for (const v of list ?? []) out.set(v.id, v.stringValue);
  return out;
}

export function substituteParameters(
  objects: readonly ApiObject[],
  params: ReadonlyMap<string, string>,
): ApiObject[] {
  if (params.size === 0) return objects.slice();
  const sub = (s: string) => replaceExpressions(s, (name, whole) => params.get(name) ?? whole);
  return objects.map((o) => ({
    ...o,
    fields: o.fields.map((f) =>
      f.stringValue !== undefined && f.stringValue.includes('#{')
        ? { ...f, stringValue: sub(f.stringValue) }
        : f,
    ),
  }));
}
