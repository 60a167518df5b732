import { parseDuration } from './duration.ts';
import {
  InvalidFieldError,
  MalformedTaskError,
  MissingFieldError,
  UnresolvedReferenceError,
} from './task-errors.ts';
import type { TaskObject } from './task-object.ts';
import { PARENT_KEYS, parseObject, type WireField, type WireObject } from './task-object.ts';

export { TaskObject } from './task-object.ts';
export type { WireField, WireObject } from './task-object.ts';

/** What a task source hands the runner before it becomes a {@link Task}. */
export interface RawTask {
  taskId: string;
  pipelineId: string;
  attemptId: string;
  objects: Record<string, WireObject>;
}

const MAX_PARENT_DEPTH = 16;
const ID_KEYS = ['taskId', 'pipelineId', 'attemptId'] as const;

/**
 * One unit of work as a handler sees it. Field reads look at the attempt object first, then follow its
 * `parent` / `@componentParent` refs within the task's objects, so the same handler works whether the
 * service resolved inherited fields or not.
 */
export class Task {
  readonly taskId: string;
  readonly pipelineId: string;
  readonly attemptId: string;
  /** The attempt object's `type`, e.g. `ShellCommandActivity`. */
  readonly activityType: string;
  /** Every object the source sent, by id. */
  readonly objects: ReadonlyMap<string, TaskObject>;
  /** The object the task is about (the attempt). */
  readonly attempt: TaskObject;
  /** The task exactly as received, for handlers that need the wire form. */
  readonly raw: RawTask;

  /** The lone attempt object of the task {@link fromFields} is constructing, handed to that constructor call. */
  static #lone: WireObject | undefined;

  constructor(raw: RawTask) {
    const lone = Task.#lone;
    Task.#lone = undefined;
    if (typeof raw !== 'object' || raw === null) throw new MalformedTaskError('task is not an object');
    for (const key of ID_KEYS) {
      if (typeof raw[key] !== 'string' || raw[key] === '') throw new MalformedTaskError(`task has no ${key}`);
    }
    const objects = new Map<string, TaskObject>();
    if (lone) objects.set(raw.attemptId, parseObject(raw.attemptId, lone));
    else {
      if (typeof raw.objects !== 'object' || raw.objects === null) {
        throw new MalformedTaskError(`task ${raw.attemptId} has no objects`);
      }
      for (const [id, value] of Object.entries(raw.objects)) objects.set(id, parseObject(id, value));
    }
    const attempt = objects.get(raw.attemptId);
    if (!attempt) throw new MalformedTaskError(`task objects do not include the attempt "${raw.attemptId}"`);
    this.taskId = raw.taskId;
    this.pipelineId = raw.pipelineId;
    this.attemptId = raw.attemptId;
    this.objects = objects;
    this.attempt = attempt;
    this.raw = raw;
    const type = this.get('type');
    if (!type) throw new MalformedTaskError(`attempt "${raw.attemptId}" has no type field`);
    this.activityType = type;
  }

  /**
   * Builds a task from plain fields, for sources that are not Data Pipeline (and for tests).
   * Arrays become repeated fields; `{ ref }` becomes a refValue.
   */
  static fromFields(input: {
    taskId: string;
    activityType: string;
    fields?: Record<string, string | number | boolean | readonly string[] | { ref: string }>;
    pipelineId?: string;
    attemptId?: string;
    objects?: Record<string, WireObject>;
  }): Task {
    const attemptId = input.attemptId ?? `@${input.activityType}_Attempt=1`;
    const fields: WireField[] = [{ key: 'type', stringValue: input.activityType }];
    for (const [key, value] of Object.entries(input.fields ?? {})) {
      if (Array.isArray(value)) for (const v of value) fields.push({ key, stringValue: String(v) });
      else if (typeof value === 'object' && value !== null && 'ref' in value)
        fields.push({ key, refValue: value.ref });
      else fields.push({ key, stringValue: String(value) });
    }
    const attempt: WireObject = { id: attemptId, name: attemptId, fields };
    const taskId = input.taskId;
    const pipelineId = input.pipelineId ?? 'local';
    if (input.objects && Object.keys(input.objects).length > 0)
      return new Task({ taskId, pipelineId, attemptId, objects: { ...input.objects, [attemptId]: attempt } });
    Task.#lone = attempt;
    return new Task(new LoneRawTask(taskId, pipelineId, attemptId, attempt));
  }

  #lookup(key: string, kind: 'value' | 'ref'): readonly string[] | undefined {
    // Most attempts carry their fields themselves and have no parent: no walk, no allocation.
    const attempt = this.attempt;
    if (!attempt.hasParent) return kind === 'value' ? attempt.ownValues(key) : attempt.ownRefs(key);
    const seen = new Set<string>();
    let frontier: TaskObject[] = [this.attempt];
    for (let depth = 0; depth < MAX_PARENT_DEPTH && frontier.length > 0; depth++) {
      const next: TaskObject[] = [];
      for (const object of frontier) {
        if (seen.has(object.id)) continue;
        seen.add(object.id);
        const found = kind === 'value' ? object.ownValues(key) : object.ownRefs(key);
        if (found) return found;
        for (const parentKey of PARENT_KEYS) {
          for (const ref of object.ownRefs(parentKey) ?? []) {
            const parent = this.objects.get(ref);
            if (parent) next.push(parent);
          }
        }
      }
      frontier = next;
    }
    return undefined;
  }

  /** True when the field has a string value on the attempt or a parent. */
  has(key: string): boolean {
    return this.#lookup(key, 'value') !== undefined;
  }

  /** First string value of `key`, or undefined. */
  get(key: string): string | undefined {
    const attempt = this.attempt;
    return attempt.hasParent ? this.#lookup(key, 'value')?.[0] : attempt.firstValue(key);
  }

  /** First string value of `key`; throws {@link MissingFieldError} when absent. */
  require(key: string): string {
    const value = this.get(key);
    if (value === undefined) throw new MissingFieldError(key, this.activityType);
    return value;
  }

  /** Every value of a repeated field such as `scriptArgument`, in order. */
  getAll(key: string): string[] {
    return [...(this.#lookup(key, 'value') ?? [])];
  }

  /** The field as a number; undefined when absent, {@link InvalidFieldError} when not numeric. */
  getNumber(key: string): number | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n)) {
      throw new InvalidFieldError(
        key,
        `${this.activityType}: field "${key}" must be a number, got ${JSON.stringify(value)}`,
      );
    }
    return n;
  }

  /** A period field such as `"20 minutes"` in milliseconds; undefined when absent. */
  getDuration(key: string): number | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    try {
      return parseDuration(value, key);
    } catch {
      throw new InvalidFieldError(
        key,
        `${this.activityType}: field "${key}" must be a period like "20 minutes", got ${JSON.stringify(value)}`,
      );
    }
  }

  /** Objects referenced by `key` that are present in this task (e.g. `input`, `output`, `stage`). */
  getRefs(key: string): TaskObject[] {
    const ids = this.#lookup(key, 'ref') ?? [];
    return ids.flatMap((id) => {
      const object = this.objects.get(id);
      return object ? [object] : [];
    });
  }

  /** The first object referenced by `key`, or undefined. */
  getRef(key: string): TaskObject | undefined {
    return this.getRefs(key)[0];
  }

  /**
   * The objects referenced by `key`, all of which must be in the task: a handler that follows a
   * reference fails with the field and the id named instead of silently doing less.
   */
  requireRefs(key: string): TaskObject[] {
    const ids = this.#lookup(key, 'ref');
    if (!ids?.length) throw new MissingFieldError(key, this.activityType);
    return ids.map((id) => {
      const object = this.objects.get(id);
      if (!object) throw new UnresolvedReferenceError(key, id, this.activityType);
      return object;
    });
  }
}

/**
 * The wire form of a task built from fields, whose `objects` record is built when first read: a record
 * keyed by a new id per task costs V8 a new hidden-class transition (several µs, more as they pile up),
 * and an object literal with per-task accessors costs about a microsecond more. `toJSON` keeps the
 * serialized form whole.
 */
class LoneRawTask implements RawTask {
  readonly #attempt: WireObject;
  #objects: Record<string, WireObject> | undefined;

  constructor(
    public taskId: string,
    public pipelineId: string,
    public attemptId: string,
    attempt: WireObject,
  ) {
    this.#attempt = attempt;
  }

  get objects(): Record<string, WireObject> {
    return (this.#objects ??= { [this.attemptId]: this.#attempt });
  }

  set objects(value: Record<string, WireObject>) {
    this.#objects = value;
  }

  toJSON(): RawTask {
    const { taskId, pipelineId, attemptId, objects } = this;
    return { taskId, pipelineId, attemptId, objects };
  }
}
