/**
 * Parameters at activation: `#{myParam}` is replaced by the parameter's value (activation values, then
 * the definition's, then the default). Everything else is evaluated later by expr/evaluate.ts.
 */
import { replaceExpressions } from './expression-scan.ts';
import type { ApiObject, ParameterObject, ParameterValue } from './model.ts';

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
