import { definitionObjectToWire, DefinitionError, parseDuration, type WireObject } from '@tasklane/core';
import type { JobsOptions } from 'bullmq';
import type { EnqueueJob } from './enqueue.ts';
import { InvalidDefinitionError } from './errors.ts';

/** How {@link planFromDefinition} laid the dependencies out. */
export type DefinitionLayout = 'tree' | 'chain';

/** Jobs for a pipeline definition, and how its dependencies were mapped. */
export interface DefinitionPlan {
  /** Top-level jobs (flow roots or single jobs), ready for `enqueueJobs`. */
  readonly jobs: EnqueueJob[];
  /**
   * `tree`: every `dependsOn` became a flow edge (the dependency is a child job of its dependent).
   * `chain`: the graph shares a dependency between activities (fan-out), which a BullMQ flow (a tree)
   * cannot express; the activities were chained one after another in dependency order instead.
   */
  readonly layout: DefinitionLayout;
  /** Activity object ids in the order they will run when jobs run one at a time. */
  readonly order: string[];
  /** Things the mapping could not carry over (preconditions, schedules, expressions). */
  readonly notes: string[];
}

/** Data Pipeline defaults an activity inherits when it sets nothing: 2 retries, 10 minutes apart. */
const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_RETRY_DELAY = '10 minutes';

const isActivity = (type: string | undefined) => type !== undefined && type.endsWith('Activity');

function objectsOf(definition: unknown): unknown[] {
  const value = typeof definition === 'string' ? parseJson(definition) : definition;
  const objects =
    (value as { objects?: unknown } | null)?.objects ??
    (value as { pipelineObjects?: unknown } | null)?.pipelineObjects;
  if (!Array.isArray(objects))
    throw new InvalidDefinitionError('expected a definition of the form {"objects": [...]}');
  return objects;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidDefinitionError(`definition is not valid JSON: ${(error as Error).message}`);
  }
}

/** One definition object as API fields (both file and API formats), with this package's error type. */
function toWireObject(raw: unknown, index: number): WireObject {
  try {
    return definitionObjectToWire(raw, index);
  } catch (error) {
    if (DefinitionError.is(error)) throw new InvalidDefinitionError(error.message);
    throw error;
  }
}

/** Parameter values: `values` win over `parameters[].default`. */
function parameterValues(definition: unknown): Map<string, string> {
  const value = typeof definition === 'string' ? parseJson(definition) : definition;
  const result = new Map<string, string>();
  const params = (value as { parameters?: unknown } | null)?.parameters;
  if (Array.isArray(params)) {
    for (const p of params as Array<Record<string, unknown> | null>) {
      if (p && typeof p.id === 'string' && (typeof p.default === 'string' || typeof p.default === 'number'))
        result.set(p.id, String(p.default));
    }
  }
  const values = (value as { values?: unknown } | null)?.values;
  if (values && typeof values === 'object') {
    for (const [k, v] of Object.entries(values as Record<string, unknown>))
      if (typeof v === 'string' || typeof v === 'number') result.set(k, String(v));
  }
  return result;
}

/** Looks a string field up on the object, then along `parent` refs (like the service resolves inheritance). */
function inherited(objects: Map<string, WireObject>, start: WireObject, key: string): string | undefined {
  const seen = new Set<string>();
  let current: WireObject | undefined = start;
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    const own = current.fields.find((f) => f.key === key && f.stringValue !== undefined);
    if (own) return own.stringValue;
    const parent: string | undefined = current.fields.find(
      (f) => f.key === 'parent' && f.refValue !== undefined,
    )?.refValue;
    current = parent ? objects.get(parent) : undefined;
  }
  return undefined;
}

type JobFields = Record<string, string | string[] | { ref: string } | Array<{ ref: string }>>;

/** Own fields as job data: repeated keys become arrays, refs `{ ref }`. */
function fieldsOf(object: WireObject): JobFields {
  const fields: Record<string, unknown[]> = {};
  for (const f of object.fields)
    (fields[f.key] ??= []).push(f.refValue !== undefined ? { ref: f.refValue } : f.stringValue);
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, v.length === 1 ? v[0] : v]),
  ) as JobFields;
}

/** Removes edges implied by longer paths, so a → b → c does not also keep a → c. */
function transitiveReduction(order: string[], deps: Map<string, Set<string>>): Map<string, Set<string>> {
  const reach = new Map<string, Set<string>>();
  for (const id of order) {
    const all = new Set<string>();
    for (const d of deps.get(id) ?? []) {
      all.add(d);
      for (const r of reach.get(d) ?? []) all.add(r);
    }
    reach.set(id, all);
  }
  const reduced = new Map<string, Set<string>>();
  for (const id of order) {
    const direct = deps.get(id) ?? new Set<string>();
    reduced.set(
      id,
      new Set(
        [...direct].filter((d) => ![...direct].some((other) => other !== d && reach.get(other)?.has(d))),
      ),
    );
  }
  return reduced;
}

/**
 * Maps a Data Pipeline definition to BullMQ jobs: every activity (`type` ending in `Activity`, e.g.
 * ShellCommandActivity) becomes one job named after its type whose data carries its own fields plus the
 * definition's other objects (so `parent` inheritance and refs resolve exactly as with Data Pipeline).
 * `maximumRetries` / `retryDelay` become `attempts` / fixed `backoff`. `dependsOn` becomes a BullMQ flow:
 * a dependency is a child of its dependent, with `failParentOnFailure` so a failure cascades like
 * CASCADE_FAILED. Graphs that share a dependency (fan-out) are chained in dependency order (see `layout`).
 * `#{myParam}` references to parameters are substituted; other expressions are left as they are.
 */
export function planFromDefinition(definition: unknown): DefinitionPlan {
  const params = parameterValues(definition);
  const notes: string[] = [];
  // Parameters first; then user-defined `my*` fields of the object or its parents (the two things
  // `#{myName}` can mean in Data Pipeline). Other expressions need the service's evaluator.
  const substitute = (text: string, field: (id: string) => string | undefined) =>
    text.replace(/#\{(my[A-Za-z0-9_]*)\}/g, (whole, id: string) => {
      const value = params.get(id) ?? field(id);
      if (value === undefined) notes.push(`"${whole}" has no parameter or field value; left as is`);
      return value ?? whole;
    });
  const parsed = objectsOf(definition).map((raw, i) => toWireObject(raw, i));
  const byId = new Map(parsed.map((o) => [o.id, o]));
  const wire = parsed.map((object) => ({
    ...object,
    fields: object.fields.map((f) =>
      f.stringValue !== undefined
        ? { key: f.key, stringValue: substitute(f.stringValue, (id) => inherited(byId, object, id)) }
        : f,
    ),
  }));
  const objects = new Map<string, WireObject>();
  for (const object of wire) {
    if (objects.has(object.id))
      throw new InvalidDefinitionError(`object id "${object.id}" is defined more than once`);
    objects.set(object.id, object);
  }
  const activities = wire.filter((o) => isActivity(inherited(objects, o, 'type')));
  if (activities.length === 0)
    throw new InvalidDefinitionError(
      'the definition has no activity (an object whose type ends in "Activity")',
    );
  const activityIds = new Set(activities.map((a) => a.id));
  const context = Object.fromEntries(wire.filter((o) => !activityIds.has(o.id)).map((o) => [o.id, o]));

  const deps = new Map<string, Set<string>>();
  for (const activity of activities) {
    const set = new Set<string>();
    for (const f of activity.fields) {
      if (f.key !== 'dependsOn' || f.refValue === undefined) continue;
      if (!objects.has(f.refValue))
        throw new InvalidDefinitionError(
          `activity "${activity.id}" dependsOn "${f.refValue}", which is not defined`,
        );
      if (activityIds.has(f.refValue)) set.add(f.refValue);
      else notes.push(`activity ${activity.id} dependsOn ${f.refValue}, which is not an activity: ignored`);
    }
    deps.set(activity.id, set);
    if (activity.fields.some((f) => f.key === 'precondition')) {
      notes.push(
        `activity ${activity.id} has a precondition: BullMQ does not evaluate it; the job runs without waiting for it`,
      );
    }
  }
  for (const key of ['schedule', 'scheduleType']) {
    if (wire.some((o) => o.fields.some((f) => f.key === key))) {
      notes.push(
        `"${key}" is not mapped: jobs run once when enqueued (use BullMQ job schedulers for repeats)`,
      );
      break;
    }
  }

  // Topological order (Kahn), stable in definition order; a leftover means a cycle.
  const order: string[] = [];
  const remaining = new Map([...deps].map(([id, d]) => [id, new Set(d)]));
  while (remaining.size > 0) {
    const ready = activities.map((a) => a.id).filter((id) => remaining.get(id)?.size === 0);
    if (ready.length === 0)
      throw new InvalidDefinitionError(`dependsOn has a cycle among: ${[...remaining.keys()].join(', ')}`);
    for (const id of ready) {
      order.push(id);
      remaining.delete(id);
      for (const set of remaining.values()) set.delete(id);
    }
  }

  const reduced = transitiveReduction(order, deps);
  const dependents = new Map<string, string[]>(order.map((id) => [id, []]));
  for (const [id, ds] of reduced) for (const d of ds) dependents.get(d)!.push(id);
  const shared = [...dependents].filter(([, list]) => list.length > 1);

  const jobFor = (id: string): EnqueueJob => {
    const activity = objects.get(id)!;
    const type = inherited(objects, activity, 'type')!;
    const retries = Number(inherited(objects, activity, 'maximumRetries') ?? DEFAULT_MAX_RETRIES);
    const retryDelay = inherited(objects, activity, 'retryDelay') ?? DEFAULT_RETRY_DELAY;
    let delayMs: number;
    try {
      delayMs = parseDuration(retryDelay, 'retryDelay');
    } catch {
      throw new InvalidDefinitionError(
        `activity "${id}": retryDelay "${retryDelay}" is not a period such as "10 minutes"`,
      );
    }
    if (!Number.isInteger(retries) || retries < 0)
      throw new InvalidDefinitionError(`activity "${id}": maximumRetries must be an integer >= 0`);
    const opts: JobsOptions = { attempts: retries + 1, backoff: { type: 'fixed', delay: delayMs } };
    return { name: type, data: { fields: fieldsOf(activity), objects: context, objectId: id }, opts };
  };

  if (shared.length === 0) {
    const build = (id: string): EnqueueJob => {
      const job = jobFor(id);
      const children = [...(reduced.get(id) ?? [])].map((d) => {
        const child = build(d);
        return { ...child, opts: { ...child.opts, failParentOnFailure: true } };
      });
      return children.length > 0 ? { ...job, children } : job;
    };
    const roots = order.filter((id) => dependents.get(id)!.length === 0);
    return { jobs: roots.map(build), layout: 'tree', order, notes };
  }

  notes.push(
    `shared dependencies (${shared.map(([id, list]) => `${id} → ${list.join(', ')}`).join('; ')}) cannot be a BullMQ flow (a tree): ` +
      'activities are chained one after another in dependency order',
  );
  let chain: EnqueueJob | undefined;
  for (const id of order) {
    const job = jobFor(id);
    chain = chain
      ? { ...job, children: [{ ...chain, opts: { ...chain.opts, failParentOnFailure: true } }] }
      : job;
  }
  return { jobs: chain ? [chain] : [], layout: 'chain', order, notes };
}

/** The jobs of {@link planFromDefinition}, for `enqueueJobs({ url, queue, jobs: jobsFromDefinition(def) })`. */
export function jobsFromDefinition(definition: unknown): EnqueueJob[] {
  return planFromDefinition(definition).jobs;
}
