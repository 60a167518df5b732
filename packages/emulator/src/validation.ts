/**
 * Input shape checking in the style of the service's Coral validator: every problem names the member
 * path, so a client bug is obvious from the message alone.
 */
import { InvalidRequestError } from './errors.ts';

export type Shape =
  | { t: 'string'; min: number; max: number; pattern: boolean; enum?: readonly string[] }
  | { t: 'boolean' }
  | { t: 'integer' }
  | { t: 'timestamp' }
  | { t: 'list'; member: Shape; max?: number }
  | { t: 'struct'; members: Record<string, Member> };

export interface Member {
  shape: Shape;
  required: boolean;
}

export type StructShape = Extract<Shape, { t: 'struct' }>;

export const str = (min: number, max: number, pattern = true): Shape => ({ t: 'string', min, max, pattern });
export const oneOf = (values: readonly string[]): Shape => ({
  t: 'string',
  min: 0,
  max: 1024,
  pattern: true,
  enum: values,
});
export const bool: Shape = { t: 'boolean' };
export const int: Shape = { t: 'integer' };
export const timestamp: Shape = { t: 'timestamp' };
export const list = (member: Shape, max?: number): Shape =>
  max === undefined ? { t: 'list', member } : { t: 'list', member, max };
export const struct = (members: Record<string, Member>): StructShape => ({ t: 'struct', members });
export const req = (shape: Shape): Member => ({ shape, required: true });
export const opt = (shape: Shape): Member => ({ shape, required: false });

// Pattern P of the model: tab, CR, LF and every non-control code point; lone surrogates are rejected.
const PATTERN_P = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
// Printable ASCII needs no regex; this keeps hot-path checks (taskId, workerGroup) cheap.
const PLAIN_ASCII = /^[\u0020-\u007E]*$/;

const MAX_REPORTED = 10;

function show(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? typeof value);
  } catch {
    text = typeof value;
  }
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

function check(shape: Shape, value: unknown, path: string, errors: string[]): void {
  if (errors.length >= MAX_REPORTED) return;
  const fail = (constraint: string) =>
    errors.push(`Value '${show(value)}' at '${path}' failed to satisfy constraint: ${constraint}`);
  switch (shape.t) {
    case 'string': {
      if (typeof value !== 'string') return void fail('Member must be a string');
      if (value.length < shape.min)
        return void fail(`Member must have length greater than or equal to ${shape.min}`);
      if (value.length > shape.max) {
        // Oversize values are reported by size, never echoed.
        errors.push(
          `Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`,
        );
        return;
      }
      if (shape.pattern && !PLAIN_ASCII.test(value) && !PATTERN_P.test(value)) {
        return void fail(
          'Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*',
        );
      }
      if (shape.enum && !shape.enum.includes(value))
        return void fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('Member must be a boolean');
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail('Member must be an integer');
      return;
    case 'timestamp':
      if (typeof value !== 'number' || !Number.isFinite(value))
        fail('Member must be a timestamp in epoch seconds');
      return;
    case 'list': {
      if (!Array.isArray(value)) return void fail('Member must be a list');
      if (shape.max !== undefined && value.length > shape.max) {
        errors.push(
          `Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`,
        );
        return;
      }
      for (let i = 0; i < value.length; i++) check(shape.member, value[i], `${path}[${i}]`, errors);
      return;
    }
    case 'struct': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return void fail('Member must be a structure');
      checkMembers(shape, value as Record<string, unknown>, `${path}.`, errors);
      return;
    }
  }
}

function checkMembers(
  shape: StructShape,
  value: Record<string, unknown>,
  prefix: string,
  errors: string[],
): void {
  for (const name in shape.members) {
    const member = shape.members[name]!;
    const v = value[name];
    if (v === undefined || v === null) {
      if (member.required && errors.length < MAX_REPORTED) {
        errors.push(`Value null at '${prefix}${name}' failed to satisfy constraint: Member must not be null`);
      }
      continue;
    }
    check(member.shape, v, `${prefix}${name}`, errors);
  }
}

/** Returns the input typed as a record, or throws InvalidRequestException listing every violation. */
export function validateInput(shape: StructShape, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const errors: string[] = [];
  checkMembers(shape, body as Record<string, unknown>, '', errors);
  if (errors.length > 0) {
    const n = errors.length >= MAX_REPORTED ? `${MAX_REPORTED} or more` : String(errors.length);
    throw new InvalidRequestError(
      `${n} validation error${errors.length === 1 ? '' : 's'} detected: ${errors.join('; ')}`,
    );
  }
  return body as Record<string, unknown>;
}
