/**
 * Definition validation (PutPipelineDefinition / ValidatePipelineDefinition / ActivatePipeline).
 * Messages follow the service's `CODE:  'field' text` form seen in AWS's examples.
 */
import {
  fieldValue,
  fieldValues,
  indexObjects,
  isActivityType,
  isPreconditionType,
  resolveFields,
} from './fields.ts';
import { expressionProblems } from './expr/evaluate.ts';
import type { ApiObject } from './model.ts';
import { parseDateTime, parsePeriod } from './periods.ts';

export const MAX_OBJECTS = 100;
export const MAX_FIELDS_PER_OBJECT = 50;
export const MAX_RETRIES = 5;

export interface ValidationResult {
  errored: boolean;
  validationErrors: Array<{ id: string; errors: string[] }>;
  validationWarnings: Array<{ id: string; warnings: string[] }>;
}

const PERIOD_FIELDS = [
  'retryDelay',
  'attemptTimeout',
  'reportProgressTimeout',
  'preconditionTimeout',
  'lateAfterTimeout',
];
const SCHEDULE_TYPES = new Set(['cron', 'timeseries', 'ondemand']);

export function validateDefinition(objects: readonly ApiObject[], pipelineId: string): ValidationResult {
  const errors = new Map<string, string[]>();
  const warnings = new Map<string, string[]>();
  const error = (id: string, text: string) => void (errors.get(id) ?? errors.set(id, []).get(id)!).push(text);
  const warn = (id: string, text: string) =>
    void (warnings.get(id) ?? warnings.set(id, []).get(id)!).push(text);

  if (objects.length > MAX_OBJECTS) {
    error(
      pipelineId,
      `TOO_MANY_OBJECTS:  a pipeline definition may hold at most ${MAX_OBJECTS} objects, got ${objects.length}.`,
    );
  }
  const index = indexObjects(objects);
  const seen = new Set<string>();
  const parents = new Set<string>();
  let activities = 0;

  objects.forEach((obj, i) => {
    const oid = obj.id || obj.name || `object[${i}]`;
    if (!obj.id) error(oid, "MISSING_REQUIRED_FIELD:  'id' is required.");
    if (!obj.name) error(oid, "MISSING_REQUIRED_FIELD:  'name' is required.");
    if (obj.id) {
      if (seen.has(obj.id)) error(oid, `DUPLICATE_OBJECT_ID:  '${obj.id}' is defined more than once.`);
      seen.add(obj.id);
    }
    if (obj.fields.length > MAX_FIELDS_PER_OBJECT) {
      error(
        oid,
        `TOO_MANY_FIELDS:  an object may have at most ${MAX_FIELDS_PER_OBJECT} fields, got ${obj.fields.length}.`,
      );
    }
    for (const f of obj.fields) {
      const hasString = f.stringValue !== undefined && f.stringValue !== null;
      const hasRef = f.refValue !== undefined && f.refValue !== null;
      if (hasString === hasRef) {
        error(oid, `INVALID_FIELD_VALUE:  '${f.key}' must have exactly one of stringValue or refValue.`);
        continue;
      }
      if ((hasString ? f.stringValue : f.refValue) === '') {
        error(oid, `INVALID_FIELD_VALUE:  '${f.key}' value cannot be empty.`);
        continue;
      }
      if (f.key.startsWith('@')) error(oid, `INVALID_FIELD_NAME:  '${f.key}' is a read-only runtime field.`);
      // Unknown functions and broken syntax fail here, as on the service, instead of reaching a runner.
      if (hasString)
        for (const problem of expressionProblems(f.stringValue!))
          error(oid, `INVALID_FIELD_VALUE:  '${f.key}' has ${problem}.`);
      if (hasRef && !index.has(f.refValue!)) {
        error(oid, `MISSING_OBJECT_REFERENCE:  '${f.key}' refers to '${f.refValue}', which is not defined.`);
      }
      if (f.key === 'parent' && hasRef) parents.add(f.refValue!);
    }
  });

  for (const obj of index.values()) {
    const oid = obj.id;
    if (hasParentCycle(oid, index)) {
      error(oid, "INVALID_FIELD_VALUE:  'parent' chain is circular.");
      continue;
    }
    const fields = resolveFields(oid, index);
    const type = fieldValue(fields, 'type');

    if (oid === 'Default') {
      const st = fieldValue(obj.fields, 'scheduleType');
      if (st !== undefined && !SCHEDULE_TYPES.has(st)) {
        error(oid, "INVALID_FIELD_VALUE:  'scheduleType' value must be one of cron, timeseries, ondemand.");
      }
      continue;
    }
    if (type === undefined) {
      if (!parents.has(oid)) warn(oid, "MISSING_FIELD:  'type' is not set; the object is ignored.");
      continue;
    }
    for (const key of PERIOD_FIELDS) {
      const v = fieldValue(obj.fields, key);
      if (v !== undefined && v !== '' && parsePeriod(v) === undefined) {
        error(oid, `INVALID_FIELD_VALUE:  '${key}' value must be a period such as '10 minutes'.`);
      }
    }
    const retries = fieldValue(obj.fields, 'maximumRetries');
    if (
      retries !== undefined &&
      retries !== '' &&
      !(/^\d+$/.test(retries) && Number(retries) <= MAX_RETRIES)
    ) {
      error(
        oid,
        `INVALID_FIELD_VALUE:  'maximumRetries' value must be an integer between 0 and ${MAX_RETRIES}.`,
      );
    }

    if (type === 'Schedule') validateSchedule(oid, fields, error);
    if (type === 'ShellCommandActivity' || type === 'ShellCommandPrecondition') {
      const hasCommand = fieldValue(fields, 'command') !== undefined;
      const hasScript = fieldValue(fields, 'scriptUri') !== undefined;
      if (!hasCommand && !hasScript)
        error(oid, `MISSING_REQUIRED_FIELD:  ${type} requires one of 'command' or 'scriptUri'.`);
      if (hasCommand && hasScript)
        error(oid, `INVALID_FIELD_VALUE:  ${type} takes only one of 'command' or 'scriptUri'.`);
    }
    if (isActivityType(type)) {
      activities++;
      const wg = fieldValue(fields, 'workerGroup');
      const runsOn = fieldValue(fields, 'runsOn');
      if (wg === undefined && runsOn === undefined) {
        warn(
          oid,
          "MISSING_FIELD:  neither 'workerGroup' nor 'runsOn' is set; no task runner will pick this activity up.",
        );
      } else if (wg !== undefined && runsOn !== undefined) {
        warn(oid, "INVALID_FIELD_COMBINATION:  'workerGroup' is ignored because 'runsOn' is set.");
      }
      const schedule = fieldValue(fields, 'schedule');
      if (
        schedule !== undefined &&
        index.has(schedule) &&
        fieldValue(resolveFields(schedule, index), 'type') !== 'Schedule'
      ) {
        error(
          oid,
          `INVALID_FIELD_VALUE:  'schedule' must refer to a Schedule object, '${schedule}' is not one.`,
        );
      }
      for (const dep of fieldValues(fields, 'dependsOn')) {
        if (index.has(dep) && !isActivityType(fieldValue(resolveFields(dep, index), 'type'))) {
          error(oid, `INVALID_FIELD_VALUE:  'dependsOn' must refer to an activity, '${dep}' is not one.`);
        }
      }
      for (const pre of fieldValues(fields, 'precondition')) {
        if (index.has(pre) && !isPreconditionType(fieldValue(resolveFields(pre, index), 'type'))) {
          error(
            oid,
            `INVALID_FIELD_VALUE:  'precondition' must refer to a precondition, '${pre}' is not one.`,
          );
        }
      }
      if (dependsOnCycle(oid, index)) error(oid, "INVALID_FIELD_VALUE:  'dependsOn' chain is circular.");
    }
  }
  if (activities === 0 && objects.length > 0)
    warn(pipelineId, 'NO_ACTIVITIES:  the pipeline has no activity; activation will do nothing.');

  const validationErrors = [...errors].map(([id, errs]) => ({ id, errors: errs }));
  const validationWarnings = [...warnings].map(([id, ws]) => ({ id, warnings: ws }));
  return { errored: validationErrors.length > 0, validationErrors, validationWarnings };
}

function validateSchedule(
  oid: string,
  fields: ReturnType<typeof resolveFields>,
  error: (id: string, t: string) => void,
): void {
  const period = fieldValue(fields, 'period');
  if (period === undefined) error(oid, "MISSING_REQUIRED_FIELD:  'period' is required on a Schedule.");
  else if (parsePeriod(period) === undefined)
    error(oid, "INVALID_FIELD_VALUE:  'period' value must be a period such as '1 hour'.");
  const start = fieldValue(fields, 'startDateTime');
  const startAt = fieldValue(fields, 'startAt');
  if (start !== undefined && parseDateTime(start) === undefined) {
    error(oid, "INVALID_FIELD_VALUE:  'startDateTime' value must be a literal datetime value.");
  }
  if (startAt !== undefined && startAt !== 'FIRST_ACTIVATION_DATE_TIME') {
    error(oid, "INVALID_FIELD_VALUE:  'startAt' value must be FIRST_ACTIVATION_DATE_TIME.");
  }
  if (start === undefined && startAt === undefined)
    error(oid, "MISSING_REQUIRED_FIELD:  one of 'startDateTime' or 'startAt' is required.");
  if (start !== undefined && startAt !== undefined)
    error(oid, "INVALID_FIELD_COMBINATION:  'startDateTime' and 'startAt' are exclusive.");
  const end = fieldValue(fields, 'endDateTime');
  if (end !== undefined && parseDateTime(end) === undefined) {
    error(oid, "INVALID_FIELD_VALUE:  'endDateTime' value must be a literal datetime value.");
  }
  const occurrences = fieldValue(fields, 'occurrences');
  if (occurrences !== undefined && !/^[1-9]\d*$/.test(occurrences)) {
    error(oid, "INVALID_FIELD_VALUE:  'occurrences' value must be a positive integer.");
  }
}

function hasParentCycle(id: string, index: ReadonlyMap<string, ApiObject>): boolean {
  const seen = new Set<string>();
  let current: string | undefined = id;
  while (current !== undefined) {
    if (seen.has(current)) return true;
    seen.add(current);
    const obj = index.get(current);
    current = obj ? fieldValue(obj.fields, 'parent') : undefined;
  }
  return false;
}

function dependsOnCycle(start: string, index: ReadonlyMap<string, ApiObject>): boolean {
  const stack = [...fieldValues(resolveFields(start, index), 'dependsOn')];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === start) return true;
    if (seen.has(id) || !index.has(id)) continue;
    seen.add(id);
    stack.push(...fieldValues(resolveFields(id, index), 'dependsOn'));
  }
  return false;
}
