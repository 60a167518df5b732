/** Builds instances from components: resolved fields, routing, retry and lease settings. */
import { MAX_RETRIES } from './definitions.ts';
import { fieldValue, fieldValues, resolveFields, stringField } from './fields.ts';
import { instanceId } from './ids.ts';
import type { ApiField, Instance, InstanceKind, Pipeline } from './model.ts';
import { parsePeriod } from './periods.ts';
import { scaled } from './service.ts';
import type { ServiceState } from './service.ts';

export interface InstanceOptions {
  workerGroup?: string;
  direct?: boolean;
  preconditionTimeoutMs?: number;
  checksNode?: string;
}

/** A CREATING instance of the component for one slot, registered on the pipeline. */
export function createInstance(
  s: ServiceState,
  p: Pipeline,
  componentId: string,
  kind: InstanceKind,
  start: number,
  end: number,
  opts: InstanceOptions,
): Instance {
  const resolved = resolveFields(componentId, p.components);
  const type = fieldValue(resolved, 'type') ?? 'ShellCommandActivity';
  const userFields = resolved.filter((f) => f.key !== 'parent' && !f.key.startsWith('@'));
  if (!userFields.some((f) => f.key === 'type')) userFields.unshift(stringField('type', type));
  const workerGroup = opts.workerGroup ?? routeOf(p, resolved);
  if (kind === 'precondition' || fieldValue(userFields, 'workerGroup') === undefined) {
    const i = userFields.findIndex((f) => f.key === 'workerGroup');
    if (i >= 0) userFields.splice(i, 1);
    userFields.push(stringField('workerGroup', workerGroup));
  }
  const id = instanceId(componentId, start);
  const previous = p.instances.get(id);
  // An activity also waits for the preconditions of its input data nodes, as on the service.
  const preconditionNodes = new Map<string, string>();
  const preconditionIds = kind === 'activity' ? fieldValues(userFields, 'precondition') : [];
  if (kind === 'activity')
    for (const nodeId of fieldValues(userFields, 'input'))
      for (const preId of fieldValues(resolveFields(nodeId, p.components), 'precondition'))
        if (!preconditionIds.includes(preId)) {
          preconditionIds.push(preId);
          preconditionNodes.set(preId, nodeId);
        }
  const retries = Number(fieldValue(resolved, 'maximumRetries'));
  const period = (key: string): number | undefined => {
    const text = fieldValue(resolved, key);
    const ms = text === undefined ? undefined : parsePeriod(text);
    return ms === undefined ? undefined : scaled(s, ms);
  };
  const inst: Instance = {
    id,
    pipeline: p,
    componentId,
    kind,
    type,
    userFields,
    workerGroup,
    scheduledStart: start,
    scheduledEnd: end,
    status: 'CREATING',
    // A re-run of the same slot keeps numbering attempts where the previous run stopped.
    attempts: previous ? previous.attempts.slice() : [],
    dependsOn: [],
    dependents: [],
    preconditionIds,
    preconditionNodes,
    ...(opts.checksNode === undefined ? {} : { checksNode: opts.checksNode }),
    preconditions: [],
    waiters: [],
    maximumRetries:
      Number.isInteger(retries) && retries >= 0
        ? Math.min(retries, MAX_RETRIES)
        : s.config.defaultMaximumRetries,
    retryDelayMs: period('retryDelay') ?? s.config.defaultRetryDelayMs,
    attemptTimeoutMs: period('attemptTimeout'),
    reportProgressTimeoutMs: period('reportProgressTimeout') ?? s.config.defaultReportProgressTimeoutMs,
    preconditionTimeoutMs: period('preconditionTimeout') ?? opts.preconditionTimeoutMs,
    run: p.run,
    tries: 0,
    direct: opts.direct ?? false,
  };
  p.instances.set(id, inst);
  p.openInstances++;
  return inst;
}

/**
 * Where an activity's tasks are queued. `runsOn` asks the service to launch a resource whose own Task
 * Runner would poll; locally that becomes the resource's `workerGroup` field, else the resource id.
 */
function routeOf(p: Pipeline, fields: readonly ApiField[]): string {
  const runsOn = fieldValue(fields, 'runsOn');
  if (runsOn !== undefined) return fieldValue(resolveFields(runsOn, p.components), 'workerGroup') ?? runsOn;
  return fieldValue(fields, 'workerGroup') ?? '';
}
