import { MalformedTaskError } from './task-errors.ts';

/** A field as the Data Pipeline API sends it: exactly one of stringValue / refValue. */
export interface WireField {
  key: string;
  stringValue?: string;
  refValue?: string;
}

/** A pipeline object as the API sends it (`PollForTask.taskObject.objects[id]`). */
export interface WireObject {
  id: string;
  name: string;
  fields: WireField[];
}

/** The refs a field lookup follows to inherit from a parent object. */
export const PARENT_KEYS = ['parent', '@componentParent'] as const;

/** Up to this many fields a lookup scans them; more are indexed on the first lookup. */
const SCAN_LIMIT = 16;

/** Read-only view of one pipeline object, with ref resolution through the task's objects. */
export class TaskObject {
  readonly #fields: readonly WireField[];
  // Built on the first lookup that needs them: most tasks read a field or two, which a scan of the
  // (few) fields answers without a Map and an array per key.
  #values: Map<string, string[]> | undefined;
  #refs: Map<string, string[]> | undefined;
  /** Whether this object names a parent, so field lookups must look past it. */
  readonly hasParent: boolean;

  constructor(
    readonly id: string,
    readonly name: string,
    fields: readonly WireField[],
  ) {
    this.#fields = fields;
    let hasParent = false;
    for (const field of fields) {
      if (field.refValue !== undefined && (field.key === PARENT_KEYS[0] || field.key === PARENT_KEYS[1]))
        hasParent = true;
    }
    this.hasParent = hasParent;
  }

  #index(): void {
    const values = new Map<string, string[]>();
    const refs = new Map<string, string[]>();
    for (const field of this.#fields) {
      const target = field.refValue !== undefined ? refs : values;
      const value = field.refValue ?? field.stringValue ?? '';
      const list = target.get(field.key);
      if (list) list.push(value);
      else target.set(field.key, [value]);
    }
    this.#values = values;
    this.#refs = refs;
  }

  /** The first string value of `key` on this object only. */
  firstValue(key: string): string | undefined {
    if (!this.#values && this.#fields.length > SCAN_LIMIT) this.#index();
    if (this.#values) return this.#values.get(key)?.[0];
    for (const field of this.#fields)
      if (field.key === key && field.refValue === undefined) return field.stringValue ?? '';
    return undefined;
  }

  /** String values of `key` on this object only. */
  ownValues(key: string): readonly string[] | undefined {
    if (!this.#values) this.#index();
    return this.#values!.get(key);
  }

  /** Ref targets of `key` on this object only. */
  ownRefs(key: string): readonly string[] | undefined {
    if (!this.#refs) this.#index();
    return this.#refs!.get(key);
  }

  /** Every key present on this object. */
  keys(): string[] {
    if (!this.#values) this.#index();
    return [...new Set([...this.#values!.keys(), ...this.#refs!.keys()])];
  }
}

/** Validates one wire object and builds its view; throws MalformedTaskError. */
export function parseObject(id: string, value: unknown): TaskObject {
  if (typeof value !== 'object' || value === null)
    throw new MalformedTaskError(`object "${id}" is not an object`);
  const { name, fields } = value as { name?: unknown; fields?: unknown };
  if (!Array.isArray(fields)) throw new MalformedTaskError(`object "${id}" has no fields list`);
  for (let index = 0; index < fields.length; index++) {
    const f = fields[index] as Partial<WireField> | null;
    if (!f || typeof f.key !== 'string' || f.key === '') {
      throw new MalformedTaskError(`object "${id}" field #${index} has no key`);
    }
    if ((typeof f.stringValue === 'string') === (typeof f.refValue === 'string')) {
      throw new MalformedTaskError(
        `object "${id}" field "${f.key}" must have exactly one of stringValue or refValue`,
      );
    }
  }
  return new TaskObject(id, typeof name === 'string' ? name : id, fields as WireField[]);
}
