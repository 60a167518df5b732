import { definitionObjectToWire, Task, type WireObject } from '@tasklane/core';

/** A field value in the plain-object forms: strings (numbers and booleans are stringified), refs, or lists of them (repeated fields). */
export type FakeFieldValue =
  string | number | boolean | { ref: string } | ReadonlyArray<string | number | boolean | { ref: string }>;

/** `{ type, ...fields }`, the shape of one object in an aws-cli pipeline definition. */
export interface FakeTaskSpec {
  type: string;
  /** The component id; the attempt id is derived from it. @default `${type}Object` */
  id?: string;
  [field: string]: FakeFieldValue | undefined;
}

/** Ids and extra objects of a fake task. */
export interface FakeTaskOptions {
  /** @default a fresh `task-N` */
  taskId?: string;
  /** @default 'df-00000000TESTING' */
  pipelineId?: string;
  /** @default `@<id>_<scheduledTime>_Attempt=1` */
  attemptId?: string;
  /** Scheduled time in the attempt id. @default '2024-01-01T00:00:00' */
  scheduledTime?: string;
  /** More objects the task carries (data nodes referenced by `input` / `output`, ...). */
  objects?: Record<string, WireObject>;
}

const RESERVED = new Set(['id', 'name']);
let sequence = 0;

/** The attempt id Data Pipeline gives the first attempt of an object: `@<id>_<time>_Attempt=1`. */
export function attemptIdFor(objectId: string, scheduledTime = '2024-01-01T00:00:00', attempt = 1): string {
  return `@${objectId}_${scheduledTime}_Attempt=${attempt}`;
}

/**
 * Builds a core {@link Task} from a plain object: `fakeTask({ type: 'ShellCommandActivity', command: 'echo hi',
 * scriptArgument: ['a', 'b'], input: { ref: 'MyInput' } })`.
 */
export function fakeTask(spec: FakeTaskSpec, options: FakeTaskOptions = {}): Task {
  if (typeof spec?.type !== 'string' || spec.type === '')
    throw new TypeError('fakeTask: spec.type (the activity type) is required');
  const objectId = spec.id ?? `${spec.type}Object`;
  const attemptId = options.attemptId ?? attemptIdFor(objectId, options.scheduledTime);
  // The same conversion as a definition file (core's reader): lists repeat, `{ ref }` is a refValue.
  const own = Object.fromEntries(
    Object.entries(spec).filter(([key, value]) => !RESERVED.has(key) && value !== undefined),
  );
  const { fields } = definitionObjectToWire({ ...own, id: attemptId }, 0);
  return new Task({
    taskId: options.taskId ?? `task-${++sequence}`,
    pipelineId: options.pipelineId ?? 'df-00000000TESTING',
    attemptId,
    objects: { ...options.objects, [attemptId]: { id: attemptId, name: attemptId, fields } },
  });
}
