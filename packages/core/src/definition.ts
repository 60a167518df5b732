import { TasklaneError } from './errors.ts';
import type { WireField, WireObject } from './task.ts';

/** A pipeline definition object could not be read; the message names the object and the field. */
export class DefinitionError extends TasklaneError {
  override name = 'DefinitionError';
  constructor(message: string) {
    super('TL_INVALID_DEFINITION', message);
  }
}

/**
 * One object of a pipeline definition as API fields. Accepts the aws-cli file format (`"key": value`,
 * `{"ref": id}`, or a list of them for a repeated field) and the API format (`fields: [...]`); `name`
 * defaults to `id`, as the aws-cli does.
 */
export function definitionObjectToWire(raw: unknown, index: number): WireObject {
  if (typeof raw !== 'object' || raw === null)
    throw new DefinitionError(`objects[${index}] is not an object`);
  const { id, name, fields, ...rest } = raw as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw new DefinitionError(`objects[${index}] has no "id"`);
  const out: WireField[] = [];
  if (Array.isArray(fields)) {
    for (const f of fields as Array<Partial<WireField> | null>) {
      if (!f || typeof f.key !== 'string')
        throw new DefinitionError(`object "${id}": every field needs a "key"`);
      if (typeof f.refValue === 'string') out.push({ key: f.key, refValue: f.refValue });
      else if (typeof f.stringValue === 'string') out.push({ key: f.key, stringValue: f.stringValue });
      else throw new DefinitionError(`object "${id}" field "${f.key}" needs a stringValue or a refValue`);
    }
  }
  const add = (key: string, value: unknown) => {
    if (typeof value === 'object' && value !== null && typeof (value as { ref?: unknown }).ref === 'string')
      out.push({ key, refValue: (value as { ref: string }).ref });
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out.push({ key, stringValue: String(value) });
    else
      throw new DefinitionError(
        `object "${id}" field "${key}" must be a string, number, {"ref": id} or a list of them`,
      );
  };
  for (const [key, value] of Object.entries(rest)) {
    if (Array.isArray(value)) value.forEach((item) => add(key, item));
    else add(key, value);
  }
  return { id, name: typeof name === 'string' && name !== '' ? name : id, fields: out };
}

/** Every object of a definition (`{"objects": [...]}`) as API objects. */
export function definitionToWireObjects(definition: unknown): WireObject[] {
  const objects = (definition as { objects?: unknown } | null)?.objects;
  if (!Array.isArray(objects))
    throw new DefinitionError('expected a definition of the form {"objects": [...]}');
  return objects.map((raw, index) => definitionObjectToWire(raw, index));
}
