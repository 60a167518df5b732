/** Object operations: DescribeObjects, QueryObjects, EvaluateExpression, SetStatus. */
import { InvalidRequestError } from './errors.ts';
import { DEFAULT_STEPS, evaluateText, ExpressionError } from './expr/evaluate.ts';
import type { ApiObject, Instance } from './model.ts';
import { page, parseMarker } from './paging.ts';
import { getPipeline } from './pipelines.ts';
import { componentIndex, renderAttempt, renderComponent, renderInstance, renderObject } from './render.ts';
import { objectScope } from './scopes.ts';
import {
  cancelInstance,
  markFinished,
  pauseComponent,
  rerunInstance,
  resumeComponent,
} from './operator-actions.ts';
import type { ServiceState } from './service.ts';

type Input = Record<string, unknown>;

const DESCRIBE_PAGE = 25;
const TIME_FIELDS = new Set([
  '@scheduledStartTime',
  '@scheduledEndTime',
  '@actualStartTime',
  '@actualEndTime',
]);

export function describeObjects(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  const ids = input.objectIds as string[];
  const r = page(ids, parseMarker(input.marker), DESCRIBE_PAGE);
  const objects: ApiObject[] = [];
  for (const id of r.items) {
    const obj = renderObject(p, id);
    if (!obj) continue;
    if (input.evaluateExpressions === true) {
      const scope = objectScope(p, id);
      const budget = { left: DEFAULT_STEPS };
      if (scope)
        obj.fields = obj.fields.map((f) =>
          f.stringValue?.includes('#{')
            ? { ...f, stringValue: evaluateText(f.stringValue, scope, false, budget) }
            : f,
        );
    }
    objects.push(obj);
  }
  return {
    pipelineObjects: objects,
    ...(r.marker === undefined ? {} : { marker: r.marker }),
    hasMoreResults: r.hasMoreResults,
  };
}

interface Selector {
  fieldName: string;
  type: 'EQ' | 'REF_EQ' | 'LE' | 'GE' | 'BETWEEN';
  values: string[];
}

function readSelectors(input: Input): Selector[] {
  const raw = ((input.query as { selectors?: unknown[] } | undefined)?.selectors ?? []) as Array<{
    fieldName?: string;
    operator?: { type?: Selector['type']; values?: string[] };
  }>;
  return raw.map((sel, i) => {
    const at = `query.selectors[${i}]`;
    if (!sel.fieldName)
      throw new InvalidRequestError(
        `Value null at '${at}.fieldName' failed to satisfy constraint: Member must not be null`,
      );
    const type = sel.operator?.type;
    if (!type)
      throw new InvalidRequestError(
        `Value null at '${at}.operator.type' failed to satisfy constraint: Member must not be null`,
      );
    const values = sel.operator?.values ?? [];
    if (values.length === 0)
      throw new InvalidRequestError(
        `Value at '${at}.operator.values' failed to satisfy constraint: at least one value is required`,
      );
    if ((type === 'LE' || type === 'GE' || type === 'BETWEEN') && !TIME_FIELDS.has(sel.fieldName)) {
      throw new InvalidRequestError(
        `Value '${sel.fieldName}' at '${at}.fieldName' failed to satisfy constraint: ${type} works only on ${[...TIME_FIELDS].join(', ')}`,
      );
    }
    if (type === 'BETWEEN' && values.length !== 2) {
      throw new InvalidRequestError(
        `Value at '${at}.operator.values' failed to satisfy constraint: BETWEEN takes exactly two values`,
      );
    }
    return { fieldName: sel.fieldName, type, values };
  });
}

function matches(obj: ApiObject, sel: Selector): boolean {
  const candidates: string[] = [];
  if (sel.fieldName === 'name') candidates.push(obj.name);
  for (const f of obj.fields) {
    if (f.key !== sel.fieldName) continue;
    if (sel.type === 'REF_EQ') {
      if (f.refValue !== undefined) candidates.push(f.refValue);
    } else candidates.push((f.stringValue ?? f.refValue)!);
  }
  // A selector on a field the object lacks does not match it.
  return candidates.some((v) => {
    switch (sel.type) {
      case 'EQ':
      case 'REF_EQ':
        return sel.values.includes(v);
      case 'LE':
        return v <= sel.values[0]!;
      case 'GE':
        return v >= sel.values[0]!;
      case 'BETWEEN':
        return v >= sel.values[0]! && v <= sel.values[1]!;
    }
  });
}

export function queryObjects(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  const sphere = (input.sphere as string).toUpperCase();
  if (sphere !== 'COMPONENT' && sphere !== 'INSTANCE' && sphere !== 'ATTEMPT') {
    throw new InvalidRequestError(
      `Value '${(input.sphere as string).slice(0, 64)}' at 'sphere' failed to satisfy constraint: Member must be one of COMPONENT, INSTANCE, ATTEMPT`,
    );
  }
  const limit = (input.limit as number | undefined) ?? 100;
  if (limit < 1)
    throw new InvalidRequestError(
      `Value '${limit}' at 'limit' failed to satisfy constraint: Member must be greater than or equal to 1`,
    );
  const selectors = readSelectors(input);
  const objects: ApiObject[] =
    sphere === 'COMPONENT'
      ? [...componentIndex(p).values()].map((o) => renderComponent(p, o))
      : sphere === 'INSTANCE'
        ? [...p.instances.values()].map(renderInstance)
        : [...p.attempts.values()].map((a) => renderAttempt(a));
  const ids = objects.filter((o) => selectors.every((sel) => matches(o, sel))).map((o) => o.id);
  const r = page(ids, parseMarker(input.marker), limit);
  return {
    ids: r.items,
    ...(r.marker === undefined ? {} : { marker: r.marker }),
    hasMoreResults: r.hasMoreResults,
  };
}

export function evaluateExpressionOp(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  const objectId = input.objectId as string;
  const scope = objectScope(p, objectId);
  if (!scope)
    throw new InvalidRequestError(`Object '${objectId.slice(0, 256)}' does not exist in pipeline ${p.id}.`);
  try {
    return { evaluatedExpression: evaluateText(input.expression as string, scope, true) };
  } catch (err) {
    if (err instanceof ExpressionError) throw new InvalidRequestError(err.message);
    throw err;
  }
}

const COMPONENT_STATUSES = new Set(['PAUSE', 'RESUME']);
const INSTANCE_STATUSES = new Set(['TRY_CANCEL', 'RERUN', 'MARK_FINISHED']);

export function setStatus(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  if (p.state === 'FINISHED')
    throw new InvalidRequestError(`Pipeline ${p.id} is FINISHED; SetStatus is not allowed.`);
  const status = (input.status as string).toUpperCase();
  const components: string[] = [];
  const instances: Instance[] = [];
  const index = componentIndex(p);
  for (const id of input.objectIds as string[]) {
    if (index.has(id)) components.push(id);
    else if (p.instances.has(id)) instances.push(p.instances.get(id)!);
    else if (p.attempts.has(id)) instances.push(p.attempts.get(id)!.instance);
    else throw new InvalidRequestError(`Object '${id.slice(0, 256)}' does not exist in pipeline ${p.id}.`);
  }
  if (components.length > 0 && instances.length > 0) {
    throw new InvalidRequestError(
      'objectIds mixes component and instance/attempt objects; send them in separate calls.',
    );
  }
  if (components.length > 0) {
    if (!COMPONENT_STATUSES.has(status))
      throw new InvalidRequestError(
        `Status '${input.status as string}' does not apply to components; use PAUSE or RESUME.`,
      );
    for (const id of components) {
      if (status === 'PAUSE') pauseComponent(s, p, id);
      else resumeComponent(s, p, id);
    }
  } else if (instances.length > 0) {
    if (!INSTANCE_STATUSES.has(status)) {
      throw new InvalidRequestError(
        `Status '${input.status as string}' does not apply to instances; use TRY_CANCEL, RERUN or MARK_FINISHED.`,
      );
    }
    for (const inst of instances) {
      if (status === 'TRY_CANCEL') cancelInstance(s, inst);
      else if (status === 'RERUN') rerunInstance(s, inst);
      else markFinished(s, inst);
    }
  }
  return {};
}
