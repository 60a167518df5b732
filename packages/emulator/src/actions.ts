/**
 * Actions of a pipeline object: `onSuccess`, `onFail` and `onLateAction` (after `lateAfterTimeout`).
 * `SnsAlarm` publishes nothing; its subject and message are evaluated (`node` is the instance that
 * triggered it) and recorded in `observations().alarms`. `Terminate` cancels the instance.
 */
import { evaluateText } from './expr/evaluate.ts';
import { fieldValue, fieldValues, stringField } from './fields.ts';
import { TERMINAL_INSTANCE } from './model.ts';
import type { Instance } from './model.ts';
import { parsePeriod } from './periods.ts';
import { renderInstance } from './render.ts';
import { componentFields, scopeOf } from './scopes.ts';
import { scaled } from './service.ts';
import type { ServiceState } from './service.ts';
import type { ActionEvent } from './types.ts';

/** What `node.` shows an action: the instance, its head attempt's error and the component's name. */
function nodeScope(inst: Instance) {
  const p = inst.pipeline;
  const fields = renderInstance(inst).fields;
  const head = inst.attempts[inst.attempts.length - 1];
  fields.push(stringField('name', p.components.get(inst.componentId)?.name ?? inst.componentId));
  for (const key of ['errorId', 'errorMessage', 'errorStackTrace'] as const) {
    const v = head?.[key];
    if (v !== undefined && !fields.some((f) => f.key === key)) fields.push(stringField(key, v));
  }
  return scopeOf(p, fields, { start: inst.scheduledStart, end: inst.scheduledEnd });
}

/** Runs the actions the instance's `event` field refers to. `terminate` cancels an instance. */
export function fireActions(
  s: ServiceState,
  inst: Instance,
  event: ActionEvent,
  terminate: (inst: Instance) => void,
): void {
  const ids = fieldValues(inst.userFields, event);
  if (ids.length === 0 || inst.direct) return;
  const p = inst.pipeline;
  const node = nodeScope(inst);
  for (const id of ids) {
    const fields = componentFields(p, id, { start: inst.scheduledStart, end: inst.scheduledEnd });
    if (!fields) continue;
    const type = fieldValue(fields, 'type') ?? '';
    const scope = scopeOf(p, fields, { start: inst.scheduledStart, end: inst.scheduledEnd }, node);
    const text = (key: string) => {
      const v = fieldValue(fields, key);
      return v === undefined ? undefined : evaluateText(v, scope, false);
    };
    const topicArn = text('topicArn');
    const subject = text('subject');
    const message = text('message');
    s.obs.action({
      at: s.clock.now(),
      event,
      actionId: id,
      type,
      pipelineId: p.id,
      objectId: inst.componentId,
      instanceId: inst.id,
      ...(topicArn === undefined ? {} : { topicArn }),
      ...(subject === undefined ? {} : { subject }),
      ...(message === undefined ? {} : { message }),
    });
    s.log(`${event} of ${inst.id}: ${type} ${id}${subject === undefined ? '' : ` "${subject}"`}`);
    if (type === 'Terminate') terminate(inst);
  }
}

/**
 * `lateAfterTimeout`, counted from the instance's creation at its scheduled start: an instance not
 * FINISHED by then fires `onLateAction` once. As on the service, on-demand pipelines have no lateness.
 */
export function armLateTimer(s: ServiceState, inst: Instance, terminate: (inst: Instance) => void): void {
  const text = fieldValue(inst.userFields, 'lateAfterTimeout');
  const ms = text === undefined ? undefined : parsePeriod(text);
  if (ms === undefined || inst.direct || fieldValue(inst.userFields, 'onLateAction') === undefined) return;
  const run = inst.run;
  inst.lateTimer = s.clock.setTimeout(
    () => {
      inst.lateTimer = undefined;
      if (inst.run !== run || inst.pipeline.deleted || inst.status === 'FINISHED') return;
      if (TERMINAL_INSTANCE.has(inst.status) && inst.status !== 'FAILED') return;
      fireActions(s, inst, 'onLateAction', terminate);
      s.obs.changed();
    },
    scaled(s, ms),
  );
}
