/**
 * The `objects` map of a PollForTask answer: the attempt plus every object it reaches by reference
 * (data nodes, databases, resources, schedules, preconditions, alarms), each with its component's fields
 * merged through parent/Default and its expressions evaluated, keyed by the id the references use.
 * What the real service sends beyond the attempt is undocumented; see docs/protocol-decisions.md.
 */
import { DEFAULT_STEPS, evaluateText } from './expr/evaluate.ts';
import type { Budget, Scope } from './expr/evaluate.ts';
import type { ApiField, ApiObject, Attempt } from './model.ts';
import { componentFields, scopeOf } from './scopes.ts';
import type { Slot } from './scopes.ts';

/** The service caps a definition at 100 objects; a graph can never need more. */
const MAX_GRAPH_OBJECTS = 100;
/** References that are structure, not inputs: the attempt's own lineage and other activities. */
const NOT_FOLLOWED = new Set(['parent', 'dependsOn']);

/** A single field's share: one hostile field cannot starve the others of the graph's budget. */
const FIELD_STEPS = 10_000;

function evaluated(fields: readonly ApiField[], scope: Scope, total: Budget): ApiField[] {
  return fields.map((f) => {
    if (f.stringValue === undefined || !f.stringValue.includes('#{')) return f;
    const share: Budget = { left: Math.min(FIELD_STEPS, total.left) };
    const granted = share.left;
    const stringValue = evaluateText(f.stringValue, scope, false, share);
    total.left -= granted - Math.max(0, share.left);
    return { key: f.key, stringValue };
  });
}

function references(fields: readonly ApiField[]): string[] {
  const out: string[] = [];
  for (const f of fields)
    if (f.refValue !== undefined && !f.key.startsWith('@') && !NOT_FOLLOWED.has(f.key)) out.push(f.refValue);
  return out;
}

export function taskObjects(a: Attempt, view: ApiObject): Record<string, ApiObject> {
  const inst = a.instance;
  const p = inst.pipeline;
  const slot: Slot = { start: inst.scheduledStart, end: inst.scheduledEnd };
  const attemptScope = scopeOf(p, view.fields, slot);
  // One budget for the whole graph: a hostile definition costs one bounded slice of the event loop.
  const budget: Budget = { left: DEFAULT_STEPS * 2 };
  const objects: Record<string, ApiObject> = Object.create(null) as Record<string, ApiObject>;
  objects[a.id] = { id: view.id, name: view.name, fields: evaluated(view.fields, attemptScope, budget) };
  const queue = references(view.fields);
  let count = 1;
  for (let i = 0; i < queue.length && count < MAX_GRAPH_OBJECTS; i++) {
    const id = queue[i]!;
    if (id in objects) continue;
    const fields = componentFields(p, id, slot);
    if (!fields) continue;
    const scope = scopeOf(p, fields, slot, attemptScope);
    objects[id] = { id, name: p.components.get(id)?.name ?? id, fields: evaluated(fields, scope, budget) };
    count++;
    queue.push(...references(fields));
  }
  return { ...objects };
}
