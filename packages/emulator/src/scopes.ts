/**
 * Expression scopes of a pipeline's objects. Components see their inherited fields; instances and
 * attempts their rendered fields; a component reached from a running attempt also sees that attempt's
 * slot (`@scheduledStartTime`, `@scheduledEndTime`), with `node` being the attempt.
 */
import type { Scope } from './expr/evaluate.ts';
import { resolveFields, stringField } from './fields.ts';
import type { ApiField, Pipeline } from './model.ts';
import { formatDateTime } from './periods.ts';
import { componentIndex, renderComponent, renderObject } from './render.ts';

export interface Slot {
  start: number;
  end: number;
}

/** Fields of a component as an attempt's referenced object: merged through parent/Default, plus runtime. */
export function componentFields(p: Pipeline, id: string, slot: Slot | undefined): ApiField[] | undefined {
  const index = componentIndex(p);
  const comp = index.get(id);
  if (!comp) return undefined;
  const fields = resolveFields(id, index).filter((f) => f.key !== 'parent');
  fields.push(...renderComponent(p, comp).fields.filter((f) => f.key.startsWith('@')));
  if (slot) {
    fields.push(
      stringField('@scheduledStartTime', formatDateTime(slot.start)),
      stringField('@scheduledEndTime', formatDateTime(slot.end)),
    );
  }
  return fields;
}

/** The scope of object `id` (component, instance or attempt), or undefined when there is none. */
export function objectScope(p: Pipeline, id: string, slot?: Slot, node?: Scope): Scope | undefined {
  const index = componentIndex(p);
  let fields: readonly ApiField[] | undefined;
  let ownSlot = slot;
  if (index.has(id)) {
    // Parent lookups (`parent.x`) need the object's own `parent` reference.
    fields = [
      ...(componentFields(p, id, slot) ?? []),
      ...index.get(id)!.fields.filter((f) => f.key === 'parent'),
    ];
  } else {
    fields = renderObject(p, id)?.fields;
    const inst = p.instances.get(id) ?? p.attempts.get(id)?.instance;
    if (inst) ownSlot = { start: inst.scheduledStart, end: inst.scheduledEnd };
  }
  if (!fields) return undefined;
  return scopeOf(p, fields, ownSlot, node);
}

/** A scope over given fields whose references resolve in `p`. */
export function scopeOf(
  p: Pipeline,
  fields: readonly ApiField[],
  slot: Slot | undefined,
  node?: Scope,
): Scope {
  const scope: Scope = {
    fields,
    follow: (ref) => objectScope(p, ref, slot, node ?? scope),
    ...(node ? { node } : {}),
    parameter: (name) => p.parameters.get(name),
  };
  return scope;
}
