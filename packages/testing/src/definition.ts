import { definitionObjectToWire, Task, type WireField, type WireObject } from '@tasklane/core';
import { attemptIdFor, type FakeTaskOptions } from './fake-task.ts';

/** An object of an aws-cli definition (`{ id, name, type, key: value | { ref } | [...] }`) or of the API (`{ id, name, fields }`). */
export type DefinitionObject = { id: string; name?: string; fields?: WireField[] } & Record<string, unknown>;

/** A pipeline definition in the aws-cli format: `{ "objects": [...] }`. */
export interface PipelineDefinitionSnippet {
  objects: DefinitionObject[];
}

function ownFields(object: DefinitionObject, index: number): WireField[] {
  return definitionObjectToWire(object, index).fields;
}

/**
 * An object's fields with its parents' merged in, as the service resolves them: nearest wins per key (a
 * repeated key is replaced as a whole), then `Default`, the implicit parent of every object. `parent`
 * itself is not inherited.
 */
function resolveFields(id: string, index: ReadonlyMap<string, WireField[]>): WireField[] {
  const out: WireField[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>();
  const visit = (objectId: string, isSelf: boolean) => {
    if (visited.has(objectId)) return;
    visited.add(objectId);
    const fields = index.get(objectId);
    if (!fields) return;
    const own = new Set<string>();
    for (const field of fields) {
      if ((!isSelf && field.key === 'parent') || seen.has(field.key)) continue;
      own.add(field.key);
      out.push(field);
    }
    for (const key of own) seen.add(key);
    for (const field of fields) if (field.key === 'parent' && field.refValue) visit(field.refValue, false);
  };
  visit(id, true);
  if (id !== 'Default') visit('Default', false);
  return out;
}

/**
 * Builds the task the service would hand out for the first attempt of `objectId` in a pipeline
 * definition: the attempt object carries the component's fields resolved through `parent` and
 * `Default`, plus `@componentParent`, `@sphere`, `@status` and `@attemptCount`. Every other object of
 * the definition is included (resolved too), so refs such as `input` / `output` can be followed.
 */
export function taskFromDefinition(
  definition: PipelineDefinitionSnippet,
  objectId: string,
  options: FakeTaskOptions = {},
): Task {
  if (!definition || !Array.isArray(definition.objects))
    throw new TypeError('taskFromDefinition: expected { objects: [...] } (the aws-cli definition format)');
  const index = new Map<string, WireField[]>();
  definition.objects.forEach((object, i) => {
    if (typeof object?.id !== 'string') throw new TypeError('taskFromDefinition: every object needs an id');
    index.set(object.id, ownFields(object, i));
  });
  if (!index.has(objectId)) {
    throw new TypeError(
      `taskFromDefinition: no object "${objectId}" in the definition (objects: ${[...index.keys()].join(', ')})`,
    );
  }
  const attemptId = options.attemptId ?? attemptIdFor(objectId, options.scheduledTime);
  const pipelineId = options.pipelineId ?? 'df-00000000TESTING';
  const objects: Record<string, WireObject> = {};
  for (const object of definition.objects) {
    if (object.id === objectId) continue;
    objects[object.id] = {
      id: object.id,
      name: typeof object.name === 'string' ? object.name : object.id,
      fields: resolveFields(object.id, index),
    };
  }
  const attemptFields: WireField[] = [
    ...resolveFields(objectId, index).filter((f) => f.key !== 'parent'),
    { key: '@componentParent', refValue: objectId },
    { key: '@sphere', stringValue: 'ATTEMPT' },
    { key: '@status', stringValue: 'WAITING_FOR_RUNNER' },
    { key: '@attemptCount', stringValue: '1' },
    { key: '@pipelineId', stringValue: pipelineId },
  ];
  objects[attemptId] = { id: attemptId, name: attemptId, fields: attemptFields };
  return new Task({
    taskId: options.taskId ?? `task-${objectId}-1`,
    pipelineId,
    attemptId,
    objects: { ...options.objects, ...objects },
  });
}
