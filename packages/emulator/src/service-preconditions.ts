/**
 * Preconditions the service evaluates itself. S3KeyExists and S3PrefixNotEmpty are checked against the
 * emulator's own S3, with their `s3Key`/`s3Prefix` expressions evaluated for the instance's slot; so is
 * `Exists` when it is declared on a data node (the node's directoryPath or filePath must exist).
 * DynamoDB* preconditions have no local table service and count as met (documented choice).
 */
import { evaluateText } from './expr/evaluate.ts';
import { fieldValue, RUNNER_PRECONDITIONS, stringField } from './fields.ts';
import type { Instance } from './model.ts';
import { formatDateTime } from './periods.ts';
import { componentFields, scopeOf } from './scopes.ts';
import type { ServiceState } from './service.ts';

/** `s3://bucket/key` → parts, or undefined when the text is not an S3 URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3n?a?:\/\/([^/]+)\/?(.*)$/.exec(uri.trim());
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

function evaluatedField(pre: Instance, key: string): string | undefined {
  const raw = fieldValue(pre.userFields, key);
  if (raw === undefined) return undefined;
  const p = pre.pipeline;
  const fields = [
    ...pre.userFields,
    stringField('@pipelineId', p.id),
    stringField('@scheduledStartTime', formatDateTime(pre.scheduledStart)),
    stringField('@scheduledEndTime', formatDateTime(pre.scheduledEnd)),
  ];
  return evaluateText(raw, scopeOf(p, fields, { start: pre.scheduledStart, end: pre.scheduledEnd }), false);
}

/** True when the emulator decides the precondition itself instead of handing it to a runner. */
export function serviceEvaluated(pre: Instance): boolean {
  return !RUNNER_PRECONDITIONS.has(pre.type) || (pre.type === 'Exists' && pre.checksNode !== undefined);
}

/** Exists on a data node: its S3 directory holds an object, or its S3 file is there; local paths pass. */
function nodeExists(s: ServiceState, pre: Instance, nodeId: string): boolean {
  const p = pre.pipeline;
  const slot = { start: pre.scheduledStart, end: pre.scheduledEnd };
  const fields = componentFields(p, nodeId, slot);
  if (!fields || !s.s3) return true;
  const scope = scopeOf(p, fields, slot);
  const dir = fieldValue(fields, 'directoryPath');
  const file = fieldValue(fields, 'filePath');
  const loc = parseS3Uri(evaluateText(dir ?? file ?? '', scope, false));
  if (!loc) return true;
  if (file !== undefined && dir === undefined) return s.s3.peek(loc.bucket, loc.key) !== undefined;
  if (!s.s3.hasBucket(loc.bucket)) return false;
  const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
  return s.s3.list(loc.bucket, { prefix, delimiter: '', maxKeys: 1, after: undefined }).contents.length > 0;
}

/** Whether the precondition holds right now. */
export function servicePreconditionMet(s: ServiceState, pre: Instance): boolean {
  if (pre.type === 'Exists' && pre.checksNode !== undefined) return nodeExists(s, pre, pre.checksNode);
  const store = s.s3;
  if (!store) return true;
  if (pre.type === 'S3KeyExists') {
    const loc = parseS3Uri(evaluatedField(pre, 's3Key') ?? '');
    return loc !== undefined && store.peek(loc.bucket, loc.key) !== undefined;
  }
  if (pre.type === 'S3PrefixNotEmpty') {
    const loc = parseS3Uri(evaluatedField(pre, 's3Prefix') ?? '');
    if (!loc || !store.hasBucket(loc.bucket)) return false;
    return (
      store.list(loc.bucket, { prefix: loc.key, delimiter: '', maxKeys: 1, after: undefined }).contents
        .length > 0
    );
  }
  return true;
}
