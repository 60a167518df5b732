/** Helpers for API `Field` lists: lookup, inheritance through `parent`/`Default`, and building. */
import type { ApiField, ApiObject } from './model.ts';

export function fieldValue(fields: readonly ApiField[], key: string): string | undefined {
  for (const f of fields) if (f.key === key) return f.stringValue ?? f.refValue;
  return undefined;
}

export function fieldValues(fields: readonly ApiField[], key: string): string[] {
  const out: string[] = [];
  for (const f of fields) if (f.key === key) out.push((f.stringValue ?? f.refValue)!);
  return out;
}

export function stringField(key: string, value: string): ApiField {
  return { key, stringValue: value };
}

export function refField(key: string, value: string): ApiField {
  return { key, refValue: value };
}

/**
 * The object's fields merged with its parents' (nearest wins per key; a repeated key is replaced as a
 * whole) and finally `Default`'s, the implicit parent of every object. `parent` itself is not inherited.
 */
export function resolveFields(id: string, index: ReadonlyMap<string, ApiObject>): ApiField[] {
  const out: ApiField[] = [];
  const seenKeys = new Set<string>();
  const visited = new Set<string>();
  const visit = (objectId: string, isSelf: boolean) => {
    if (visited.has(objectId)) return;
    visited.add(objectId);
    const obj = index.get(objectId);
    if (!obj) return;
    const own = new Set<string>();
    for (const f of obj.fields) {
      if (!isSelf && f.key === 'parent') continue;
      if (seenKeys.has(f.key)) continue;
      own.add(f.key);
      out.push(f);
    }
    for (const k of own) seenKeys.add(k);
    for (const f of obj.fields) if (f.key === 'parent' && f.refValue) visit(f.refValue, false);
  };
  visit(id, true);
  if (id !== 'Default') visit('Default', false);
  return out;
}

export function indexObjects(objects: readonly ApiObject[]): Map<string, ApiObject> {
  const index = new Map<string, ApiObject>();
  for (const o of objects) if (o.id && !index.has(o.id)) index.set(o.id, o);
  return index;
}

const ACTIVITY_TYPES = new Set([
  'CopyActivity',
  'EmrActivity',
  'HadoopActivity',
  'HiveActivity',
  'HiveCopyActivity',
  'PigActivity',
  'RedshiftCopyActivity',
  'ShellCommandActivity',
  'SqlActivity',
]);
export const PRECONDITION_TYPES = new Set([
  'ShellCommandPrecondition',
  'Exists',
  'DynamoDBDataExists',
  'DynamoDBTableExists',
  'S3KeyExists',
  'S3PrefixNotEmpty',
]);
/** Preconditions a task runner evaluates; the others are evaluated by the service itself. */
export const RUNNER_PRECONDITIONS = new Set(['ShellCommandPrecondition', 'Exists']);

/** Custom `*Activity` types count as activities so plugin handlers can be driven by definitions. */
export function isActivityType(type: string | undefined): boolean {
  return type !== undefined && (ACTIVITY_TYPES.has(type) || type.endsWith('Activity'));
}

export function isPreconditionType(type: string | undefined): boolean {
  return type !== undefined && (PRECONDITION_TYPES.has(type) || type.endsWith('Precondition'));
}
