import { InvalidOptionError, TasklaneError } from '@tasklane/core';
import { BullMQErrorCode } from './errors.ts';

/**
 * Data Pipeline marks secret fields with a leading `*` (`*password`, `*apiToken`). BullMQ keeps job data
 * in Redis in clear, where anyone with the dashboard or Redis read access sees it, so such fields are
 * stored sealed: AES-256-GCM with a key only the operator holds (`--secret-key`), the field name bound as
 * additional data so a sealed value cannot be moved to another field. Without a key they are refused.
 */

/** Prefix of a sealed value: `tl-sealed:v1:<iv base64>:<ciphertext base64>`. */
export const SEALED_PREFIX = 'tl-sealed:v1:';

/** A secret field cannot be stored or read: no key, a wrong key, or a damaged value. */
export class SecretFieldError extends TasklaneError {
  override name = 'SecretFieldError';
  constructor(message: string, options?: ErrorOptions) {
    super(BullMQErrorCode.SecretField, message, options);
  }
}

/** True for a Data Pipeline secret field name. */
export const isSecretField = (key: string): boolean => key.startsWith('*');

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Seals and opens secret field values with one AES-256-GCM key (Web Crypto: Node, Bun and Deno alike). */
export class SecretBox {
  readonly #key: Promise<CryptoKey>;

  private constructor(bytes: Uint8Array<ArrayBuffer>) {
    this.#key = crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
    // Awaited by seal/open; a rejection here must not surface as an unhandled one first.
    this.#key.catch(() => {});
  }

  /**
   * A box from a base64-encoded 32-byte key (`openssl rand -base64 32`). Throws InvalidOptionError
   * naming `secretKey` for anything else.
   */
  static fromBase64(secretKey: string): SecretBox {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64(secretKey.trim());
    } catch {
      bytes = new Uint8Array(0);
    }
    if (bytes.length !== 32)
      throw new InvalidOptionError(
        'secretKey',
        'the secret key must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      );
    return new SecretBox(bytes);
  }

  async seal(field: string, value: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(field) },
      await this.#key,
      encoder.encode(value),
    );
    return `${SEALED_PREFIX}${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
  }

  async open(field: string, value: string): Promise<string> {
    const [iv, data] = value.slice(SEALED_PREFIX.length).split(':');
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64(iv ?? ''), additionalData: encoder.encode(field) },
        await this.#key,
        fromBase64(data ?? ''),
      );
      return decoder.decode(plain);
    } catch (error) {
      throw new SecretFieldError(
        `secret field "${field}" cannot be opened: wrong --secret-key, or the value was altered`,
        { cause: error },
      );
    }
  }
}

type Transform = (field: string, value: string) => Promise<string>;

async function mapValue(field: string, value: unknown, transform: Transform): Promise<unknown> {
  if (typeof value === 'string') return transform(field, value);
  if (Array.isArray(value)) return Promise.all(value.map((v) => mapValue(field, v, transform)));
  return value;
}

async function mapFields(
  fields: Record<string, unknown>,
  transform: Transform,
  only: (key: string) => boolean,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ...fields };
  for (const [key, value] of Object.entries(fields))
    if (only(key)) out[key] = await mapValue(key, value, transform);
  return out;
}

/** `objects` of job data: wire objects `{ id, name, fields: [{ key, stringValue | refValue }] }`. */
async function mapObjects(
  objects: unknown,
  transform: Transform,
  only: (key: string) => boolean,
): Promise<unknown> {
  if (typeof objects !== 'object' || objects === null) return objects;
  const out: Record<string, unknown> = {};
  for (const [id, object] of Object.entries(objects as Record<string, unknown>)) {
    const fields = (object as { fields?: unknown } | null)?.fields;
    if (!Array.isArray(fields)) {
      out[id] = object;
      continue;
    }
    const mapped = await Promise.all(
      fields.map(async (f: { key?: unknown; stringValue?: unknown }) =>
        typeof f?.key === 'string' && typeof f.stringValue === 'string' && only(f.key)
          ? { ...f, stringValue: await transform(f.key, f.stringValue) }
          : f,
      ),
    );
    out[id] = { ...(object as object), fields: mapped };
  }
  return out;
}

/** Applies `transform` to every secret value of job data (top-level fields, `fields`, `objects`). */
async function mapJobData(
  data: unknown,
  transform: Transform,
  only: (key: string) => boolean,
): Promise<unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const record = data as Record<string, unknown>;
  const nested = typeof record.fields === 'object' && record.fields !== null;
  const top = await mapFields(record, transform, (k) => k !== 'fields' && k !== 'objects' && only(k));
  if (nested) top.fields = await mapFields(record.fields as Record<string, unknown>, transform, only);
  if (record.objects !== undefined) top.objects = await mapObjects(record.objects, transform, only);
  return top;
}

/** Names of the secret fields a job's data carries in clear. */
export async function secretFieldsIn(data: unknown): Promise<string[]> {
  const found: string[] = [];
  await mapJobData(
    data,
    async (field, value) => {
      if (!value.startsWith(SEALED_PREFIX)) found.push(field);
      return value;
    },
    isSecretField,
  );
  return [...new Set(found)];
}

/** Job data with every `*` field sealed; throws SecretFieldError naming them when there is no key. */
export async function sealJobData(
  data: unknown,
  box: SecretBox | undefined,
  where: string,
): Promise<unknown> {
  if (!box) {
    const secrets = await secretFieldsIn(data);
    if (secrets.length > 0)
      throw new SecretFieldError(
        `${where}: ${secrets.map((s) => `"${s}"`).join(', ')} ${secrets.length > 1 ? 'are secret fields' : 'is a secret field'}; ` +
          'BullMQ would store it in clear in Redis. Give a key (--secret-key / TASKLANE_SECRET_KEY, or `secretKey`) to store it sealed, or remove it',
      );
    return data;
  }
  return mapJobData(
    data,
    (field, value) => (value.startsWith(SEALED_PREFIX) ? Promise.resolve(value) : box.seal(field, value)),
    isSecretField,
  );
}

/** True when job data carries a sealed value (cheap: only the first level of fields is looked at). */
export function hasSealedFields(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const scan = (record: unknown) =>
    typeof record === 'object' && record !== null && Object.keys(record).some(isSecretField);
  const d = data as Record<string, unknown>;
  return (
    scan(d) ||
    scan(d.fields) ||
    (d.objects !== undefined && JSON.stringify(d.objects).includes(SEALED_PREFIX))
  );
}

/** Job data with every sealed value opened; throws SecretFieldError when no key is configured or it is wrong. */
export async function openJobData(data: unknown, box: SecretBox | undefined): Promise<unknown> {
  return mapJobData(
    data,
    async (field, value) => {
      if (!value.startsWith(SEALED_PREFIX)) return value;
      if (!box)
        throw new SecretFieldError(
          `secret field "${field}" is sealed, but this runner has no --secret-key (TASKLANE_SECRET_KEY)`,
        );
      return box.open(field, value);
    },
    isSecretField,
  );
}
