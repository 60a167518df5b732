import { MalformedTaskError, Task, type WireObject } from '@tasklane/core';

/** Field values `Task.fromFields` understands. */
type FieldValue = string | number | boolean | readonly string[] | { ref: string };

/**
 * The job data shapes the source reads: `{ fields: {...}, objects?: {...} }` (what `jobsFromDefinition`
 * writes), or the fields themselves at the top level (`queue.add('ShellCommandActivity', { command })`).
 */
export interface TasklaneJobData {
  /** Activity fields; strings, numbers, booleans, string arrays (repeated fields) or `{ ref }`. */
  fields?: Record<string, unknown>;
  /** Other pipeline objects that `{ ref }` fields and `parent` point to (for inherited fields). */
  objects?: Record<string, WireObject>;
  [key: string]: unknown;
}

/** What `toTask` needs of a BullMQ job. */
export interface JobLike {
  readonly id?: string | undefined;
  readonly name: string;
  readonly data: unknown;
  readonly attemptsMade: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toFieldValue(key: string, value: unknown): FieldValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  if (isRecord(value) && typeof value.ref === 'string' && Object.keys(value).length === 1)
    return { ref: value.ref };
  // Nested JSON has no Data Pipeline equivalent; handlers read it back with JSON.parse(task.get(key)).
  try {
    return JSON.stringify(value);
  } catch {
    throw new MalformedTaskError(`job field "${key}" cannot be serialized`);
  }
}

/**
 * Builds the {@link Task} a handler sees from a BullMQ job: the job name is the activity type, the data
 * carries the fields. `taskId` is the job id, `attemptId` is `<jobId>#<attempt>` and `pipelineId` the queue.
 * Throws MalformedTaskError (the runner reports the job failed, without retries) when the data is unusable.
 */
export function taskFromJob(job: JobLike, queue: string): Task {
  if (!job.id) throw new MalformedTaskError('job has no id');
  if (typeof job.name !== 'string' || job.name === '')
    throw new MalformedTaskError(`job ${job.id} has no name (the activity type)`);
  const data: unknown = job.data ?? {};
  if (!isRecord(data))
    throw new MalformedTaskError(
      `job ${job.id} data must be an object of fields, got ${Array.isArray(data) ? 'an array' : typeof data}`,
    );
  const rawFields = data.fields === undefined ? data : data.fields;
  if (!isRecord(rawFields)) throw new MalformedTaskError(`job ${job.id} data.fields must be an object`);
  const fields: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(rawFields)) {
    // `type` is the activity type; the job name is authoritative for it.
    if (key === 'type' || (data.fields === undefined && key === 'objects')) continue;
    const converted = toFieldValue(key, value);
    if (converted !== undefined) fields[key] = converted;
  }
  const objects =
    data.fields !== undefined && isRecord(data.objects)
      ? (data.objects as Record<string, WireObject>)
      : undefined;
  return Task.fromFields({
    taskId: job.id,
    activityType: job.name,
    fields,
    attemptId: `${job.id}#${job.attemptsMade + 1}`,
    pipelineId: queue,
    ...(objects ? { objects } : {}),
  });
}
