/**
 * Preconditions the service evaluates itself. S3KeyExists and S3PrefixNotEmpty are checked against the
 * emulator's own S3, with their `s3Key`/`s3Prefix` expressions evaluated for the instance's slot.
 * DynamoDB* preconditions have no local table service and count as met (documented choice).
 */
import { evaluateText } from './expr/evaluate.ts';
import { fieldValue, stringField } from './fields.ts';
import type { Instance } from './model.ts';
import { formatDateTime } from './periods.ts';
import { scopeOf } from './scopes.ts';
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

/** Whether the precondition holds right now. */
export function servicePreconditionMet(s: ServiceState, pre: Instance): boolean {
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
