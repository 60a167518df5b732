/** Control-plane operations on pipelines: create, define, activate, describe, list, tag, delete. */
import type { RequestContext } from './context.ts';
import { validateDefinition } from './definitions.ts';
import type { ValidationResult } from './definitions.ts';
import { InvalidRequestError, PipelineNotFoundError } from './errors.ts';
import type { ApiObject, ParameterObject, ParameterValue, Pipeline } from './model.ts';
import { formatDateTime } from './periods.ts';
import { page, parseMarker } from './paging.ts';
import { getPipeline, nameKey, newPipeline } from './pipelines.ts';
import { activatePipelineRun, deactivatePipelineRun, deletePipelineRun } from './schedules.ts';
import type { ServiceState } from './service.ts';

type Input = Record<string, unknown>;

const MAX_PIPELINES = 100;
const MAX_TAGS = 10;
const LIST_PAGE = 25;
export const ACCOUNT_ID = '123456789012';

export function createPipeline(s: ServiceState, input: Input, ctx: RequestContext): object {
  const name = input.name as string;
  const uniqueId = input.uniqueId as string;
  const existingId = s.byNameAndUniqueId.get(nameKey(name, uniqueId));
  const existing = existingId === undefined ? undefined : s.pipelines.get(existingId);
  // Idempotent on (name, uniqueId): a retried create must not make a second pipeline.
  if (existing && !existing.deleted) return { pipelineId: existing.id };
  let visible = 0;
  for (const p of s.pipelines.values()) if (!p.hidden && !p.deleted) visible++;
  if (visible >= MAX_PIPELINES)
    throw new InvalidRequestError(`Limit exceeded: an account may have at most ${MAX_PIPELINES} pipelines.`);
  const description = input.description as string | undefined;
  const p = newPipeline(s, {
    name,
    uniqueId,
    userId: ctx.userId,
    ...(description === undefined ? {} : { description }),
  });
  for (const t of (input.tags as Array<{ key: string; value: string }> | undefined) ?? [])
    p.tags.set(t.key, t.value);
  s.persist();
  return { pipelineId: p.id };
}

export function deletePipeline(s: ServiceState, input: Input): object {
  const id = input.pipelineId as string;
  const p = s.pipelines.get(id);
  if (!p || p.deleted) throw new PipelineNotFoundError(id);
  deletePipelineRun(s, p);
  s.byNameAndUniqueId.delete(nameKey(p.name, p.uniqueId));
  s.persist();
  return {};
}

function describe(p: Pipeline): object {
  const fields: Array<{ key: string; stringValue?: string; refValue?: string }> = [
    { key: '@pipelineState', stringValue: p.state },
    { key: 'name', stringValue: p.name },
    { key: '@creationTime', stringValue: formatDateTime(p.createdAt) },
    { key: '@id', stringValue: p.id },
    { key: '@sphere', stringValue: 'PIPELINE' },
    { key: '@userId', stringValue: p.userId },
    { key: '@accountId', stringValue: ACCOUNT_ID },
    { key: 'uniqueId', stringValue: p.uniqueId },
  ];
  if (p.description !== undefined) fields.push({ key: 'description', stringValue: p.description });
  if (p.active) fields.push({ key: '@version', stringValue: String(p.active.version) });
  if (p.lastActivatedAt !== undefined)
    fields.push({ key: '@lastActivationTime', stringValue: formatDateTime(p.lastActivatedAt) });
  return {
    pipelineId: p.id,
    name: p.name,
    fields,
    ...(p.description === undefined ? {} : { description: p.description }),
    tags: [...p.tags].map(([key, value]) => ({ key, value })),
  };
}

export function describePipelines(s: ServiceState, input: Input): object {
  const ids = input.pipelineIds as string[];
  return { pipelineDescriptionList: ids.map((id) => describe(getPipeline(s, id))) };
}

export function listPipelines(s: ServiceState, input: Input): object {
  const visible: Array<{ id: string; name: string }> = [];
  for (const p of s.pipelines.values()) if (!p.hidden && !p.deleted) visible.push({ id: p.id, name: p.name });
  const r = page(visible, parseMarker(input.marker), LIST_PAGE);
  return {
    pipelineIdList: r.items,
    ...(r.marker === undefined ? {} : { marker: r.marker }),
    hasMoreResults: r.hasMoreResults,
  };
}

function readDefinition(input: Input): {
  objects: ApiObject[];
  parameterObjects: ParameterObject[];
  parameterValues: ParameterValue[];
} {
  const objects = (input.pipelineObjects as Array<Partial<ApiObject>>).map((o) => ({
    id: o.id ?? '',
    name: o.name ?? '',
    fields: (o.fields ?? []).map((f) => {
      const field: { key: string; stringValue?: string; refValue?: string } = { key: f.key };
      if (f.stringValue !== undefined) field.stringValue = f.stringValue;
      if (f.refValue !== undefined) field.refValue = f.refValue;
      return field;
    }),
  }));
  return {
    objects,
    parameterObjects: (input.parameterObjects as ParameterObject[] | undefined) ?? [],
    parameterValues: (input.parameterValues as ParameterValue[] | undefined) ?? [],
  };
}

function validationOutput(r: ValidationResult): object {
  return {
    errored: r.errored,
    ...(r.validationErrors.length > 0 ? { validationErrors: r.validationErrors } : {}),
    ...(r.validationWarnings.length > 0 ? { validationWarnings: r.validationWarnings } : {}),
  };
}

export function putPipelineDefinition(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  const def = readDefinition(input);
  const r = validateDefinition(def.objects, p.id);
  if (p.state === 'FINISHED') {
    r.errored = true;
    r.validationErrors.push({
      id: p.id,
      errors: ['PIPELINE_FINISHED:  the pipeline is FINISHED; its definition can no longer be changed.'],
    });
  }
  if (!r.errored) {
    p.latest = { ...def, version: (p.latest?.version ?? 0) + 1 };
    s.persist();
  }
  return validationOutput(r);
}

export function validatePipelineDefinition(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  return validationOutput(validateDefinition(readDefinition(input).objects, p.id));
}

export function getPipelineDefinition(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  const version = (input.version as string | undefined) ?? 'latest';
  if (version !== 'latest' && version !== 'active') {
    throw new InvalidRequestError(
      `Value '${version.slice(0, 64)}' at 'version' failed to satisfy constraint: Member must be one of latest, active`,
    );
  }
  const def = version === 'active' ? p.active : p.latest;
  if (!def && version === 'active')
    throw new InvalidRequestError(`Pipeline ${p.id} has never been activated; it has no active definition.`);
  return {
    pipelineObjects: def?.objects ?? [],
    parameterObjects: def?.parameterObjects ?? [],
    parameterValues: def?.parameterValues ?? [],
  };
}

export function activatePipeline(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  if (p.hidden)
    throw new InvalidRequestError(
      `Pipeline ${p.id} is the emulator's enqueue pipeline and cannot be activated.`,
    );
  const ts = input.startTimestamp as number | undefined;
  activatePipelineRun(
    s,
    p,
    ts === undefined ? undefined : ts * 1000,
    input.parameterValues as ParameterValue[] | undefined,
  );
  return {};
}

export function deactivatePipeline(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  if (p.hidden)
    throw new InvalidRequestError(
      `Pipeline ${p.id} is the emulator's enqueue pipeline and cannot be deactivated.`,
    );
  deactivatePipelineRun(s, p, (input.cancelActive as boolean | undefined) ?? true);
  return {};
}

export function addTags(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  const next = new Map(p.tags);
  for (const t of input.tags as Array<{ key: string; value: string }>) next.set(t.key, t.value);
  if (next.size > MAX_TAGS)
    throw new InvalidRequestError(
      `A pipeline can have at most ${MAX_TAGS} tags; this request would leave ${next.size}.`,
    );
  p.tags = next;
  s.persist();
  return {};
}

export function removeTags(s: ServiceState, input: Input): object {
  const p = getPipeline(s, input.pipelineId as string);
  for (const k of input.tagKeys as string[]) p.tags.delete(k);
  s.persist();
  return {};
}
