import type { PipelineObject } from '@aws-sdk/client-data-pipeline';
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';

/**
 * Converts the aws-cli definition format (`{"objects":[{"id":…, "key": value | {"ref": id} | [..]}]}`)
 * to API PipelineObjects: `name` defaults to `id`, lists become repeated fields, `{ref}` a refValue.
 */
export function definitionToObjects(definition: unknown, where = 'definition'): PipelineObject[] {
  const objects = (definition as { objects?: unknown })?.objects;
  if (!Array.isArray(objects)) throw new UsageError('--definition', `${where}: expected {"objects": [...]}`);
  return objects.map((raw, index) => {
    if (typeof raw !== 'object' || raw === null)
      throw new UsageError('--definition', `${where}: objects[${index}] is not an object`);
    const { id, name, ...rest } = raw as Record<string, unknown>;
    if (typeof id !== 'string' || id === '')
      throw new UsageError('--definition', `${where}: objects[${index}] has no "id"`);
    const fields: Array<{ key: string; stringValue?: string; refValue?: string }> = [];
    const add = (key: string, value: unknown) => {
      if (typeof value === 'object' && value !== null && 'ref' in value)
        fields.push({ key, refValue: String(value.ref) });
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        fields.push({ key, stringValue: String(value) });
      else
        throw new UsageError(
          '--definition',
          `${where}: object "${id}" field "${key}" must be a string, number, {"ref": id} or a list of them`,
        );
    };
    for (const [key, value] of Object.entries(rest)) {
      if (Array.isArray(value)) value.forEach((item) => add(key, item));
      else add(key, value);
    }
    return { id, name: typeof name === 'string' ? name : id, fields };
  });
}

/** Reads a definition file (JSON) and converts it. */
export function readDefinitionFile(path: string): PipelineObject[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError('--definition', `--definition: cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      '--definition',
      `--definition: ${path} is not valid JSON: ${(error as Error).message}`,
    );
  }
  return definitionToObjects(data, path);
}
