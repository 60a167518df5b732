/** API views (PipelineObject) of components, instances and attempts. */
import { refField, stringField } from './fields.ts';
import type { ApiField, ApiObject, Attempt, Instance, Pipeline } from './model.ts';
import { formatDateTime } from './periods.ts';

function version(p: Pipeline): string {
  return String(p.active?.version ?? p.latest?.version ?? 1);
}

/** `status` lets PollForTask show the attempt as it was when handed out (WAITING_FOR_RUNNER). */
export function attemptFields(a: Attempt, status = a.status): ApiField[] {
  const inst = a.instance;
  const p = inst.pipeline;
  const out = inst.userFields.slice();
  out.push(
    refField('@componentParent', inst.componentId),
    refField('parent', inst.componentId),
    refField('@instanceParent', inst.id),
    refField('@activeInstances', inst.id),
    stringField('@id', a.id),
    stringField('@sphere', 'ATTEMPT'),
    stringField('@status', status),
    stringField('@version', version(p)),
    stringField('@pipelineId', p.id),
    stringField('@scheduledStartTime', formatDateTime(inst.scheduledStart)),
    stringField('@scheduledEndTime', formatDateTime(inst.scheduledEnd)),
    stringField('@attemptCount', String(a.n)),
  );
  if (a.actualStart !== undefined) out.push(stringField('@actualStartTime', formatDateTime(a.actualStart)));
  if (a.actualEnd !== undefined) out.push(stringField('@actualEndTime', formatDateTime(a.actualEnd)));
  if (a.hostname !== undefined) out.push(stringField('hostname', a.hostname));
  if (a.reportProgressTime !== undefined)
    out.push(stringField('reportProgressTime', formatDateTime(a.reportProgressTime)));
  if (a.attemptStatus !== undefined) out.push(stringField('attemptStatus', a.attemptStatus));
  if (a.errorId !== undefined) out.push(stringField('errorId', a.errorId));
  if (a.errorMessage !== undefined) out.push(stringField('errorMessage', a.errorMessage));
  if (a.errorStackTrace !== undefined) out.push(stringField('errorStackTrace', a.errorStackTrace));
  return out;
}

export function renderAttempt(a: Attempt, status?: string): ApiObject {
  return { id: a.id, name: a.id, fields: attemptFields(a, status) };
}

export function renderInstance(inst: Instance): ApiObject {
  const fields = inst.userFields.slice();
  fields.push(
    refField('@componentParent', inst.componentId),
    stringField('@id', inst.id),
    stringField('@sphere', 'INSTANCE'),
    stringField('@status', inst.status),
    stringField('@version', version(inst.pipeline)),
    stringField('@pipelineId', inst.pipeline.id),
    stringField('@scheduledStartTime', formatDateTime(inst.scheduledStart)),
    stringField('@scheduledEndTime', formatDateTime(inst.scheduledEnd)),
    stringField('@attemptCount', String(inst.attempts.length)),
  );
  const head = inst.attempts[inst.attempts.length - 1];
  if (head) fields.push(refField('@headAttempt', head.id));
  if (inst.actualStart !== undefined)
    fields.push(stringField('@actualStartTime', formatDateTime(inst.actualStart)));
  if (inst.actualEnd !== undefined)
    fields.push(stringField('@actualEndTime', formatDateTime(inst.actualEnd)));
  if (inst.cascadeFailedOn !== undefined) fields.push(refField('@cascadeFailedOn', inst.cascadeFailedOn));
  if (inst.waitingOn !== undefined) fields.push(refField('@waitingOn', inst.waitingOn));
  if (inst.errorMessage !== undefined) fields.push(stringField('errorMessage', inst.errorMessage));
  return { id: inst.id, name: inst.id, fields };
}

export function renderComponent(p: Pipeline, obj: ApiObject): ApiObject {
  const fields = obj.fields.slice();
  fields.push(
    stringField('@id', obj.id),
    stringField('@sphere', 'COMPONENT'),
    stringField('@pipelineId', p.id),
    stringField('@version', version(p)),
  );
  if (p.paused.has(obj.id)) fields.push(stringField('@status', 'PAUSED'));
  return { id: obj.id, name: obj.name, fields };
}

/** Components visible for describe/query: the active definition's, else the latest's. */
export function componentIndex(p: Pipeline): ReadonlyMap<string, ApiObject> {
  if (p.components.size > 0 || !p.latest) return p.components;
  return new Map(p.latest.objects.filter((o) => o.id).map((o) => [o.id, o]));
}

export function renderObject(p: Pipeline, id: string): ApiObject | undefined {
  const comp = componentIndex(p).get(id);
  if (comp) return renderComponent(p, comp);
  const inst = p.instances.get(id);
  if (inst) return renderInstance(inst);
  const att = p.attempts.get(id);
  if (att) return renderAttempt(att);
  return undefined;
}
