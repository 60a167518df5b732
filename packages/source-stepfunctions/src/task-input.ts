import { MalformedTaskError, Task, type WireObject } from '@tasklane/core';

type FieldValue = string | number | boolean | readonly string[] | { ref: string };

/**
 * What the source reads from a task's input besides the fields: the state machine passes it through
 * `Parameters` (`tasklane migrate` writes them), e.g.
 * `"tasklane": { "heartbeatSeconds": 30, "retryCount.$": "$$.State.RetryCount", "execution.$": "$$.Execution.Name" }`.
 */
export interface TaskInputContext {
  /** The state's HeartbeatSeconds: the runner heartbeats at a third of it. */
  readonly heartbeatSeconds?: number;
  /** `$$.State.RetryCount`: 0 on the first attempt. */
  readonly retryCount?: number;
  /** `$$.Execution.Name` (or Id), used as the task's pipelineId. */
  readonly execution?: string;
}

export interface ParsedInput {
  readonly task: Task;
  readonly context: TaskInputContext;
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
  return JSON.stringify(value);
}

function contextOf(value: unknown): TaskInputContext {
  if (!isRecord(value)) return {};
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const heartbeatSeconds = number(value.heartbeatSeconds);
  const retryCount = number(value.retryCount);
  const execution =
    typeof value.execution === 'string' && value.execution !== '' ? value.execution : undefined;
  return {
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
    ...(retryCount === undefined ? {} : { retryCount }),
    ...(execution === undefined ? {} : { execution }),
  };
}

/**
 * Builds the {@link Task} a handler sees from an activity task's JSON input: `{ fields: {...}, objects?,
 * tasklane? }`, or the fields at the top level (`{ "command": "...", "scriptArgument": [...] }`), so a
 * ShellCommandActivity handler runs unchanged. `taskId` is a short digest-free prefix of the token,
 * `attemptId` ends in `Attempt=<retryCount + 1>` like Data Pipeline's. Throws MalformedTaskError when the
 * input is not a JSON object.
 */
export function taskFromInput(id: string, activityType: string, input: string | undefined): ParsedInput {
  let data: unknown;
  try {
    data = JSON.parse(input ?? '{}');
  } catch {
    throw new MalformedTaskError(`activity task ${id}: input is not JSON`);
  }
  if (!isRecord(data))
    throw new MalformedTaskError(`activity task ${id}: input must be a JSON object of fields`);
  const nested = isRecord(data.fields);
  const raw = nested ? (data.fields as Record<string, unknown>) : data;
  const fields: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'type' || (!nested && (key === 'tasklane' || key === 'objects'))) continue;
    const converted = toFieldValue(key, value);
    if (converted !== undefined) fields[key] = converted;
  }
  const context = contextOf(data.tasklane);
  const objects = nested && isRecord(data.objects) ? (data.objects as Record<string, WireObject>) : undefined;
  const attempt = (context.retryCount ?? 0) + 1;
  const task = Task.fromFields({
    taskId: id,
    activityType,
    fields,
    attemptId: `@${activityType}_${id}_Attempt=${attempt}`,
    pipelineId: context.execution ?? 'stepfunctions',
    ...(objects ? { objects } : {}),
  });
  return { task, context };
}
