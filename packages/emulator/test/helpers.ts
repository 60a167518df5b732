import { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import type { PipelineObject } from '@aws-sdk/client-data-pipeline';
import { expect } from 'vitest';
import { startEmulator } from '../src/index.ts';
import type { Emulator, EmulatorOptions } from '../src/index.ts';

const open = new Set<Emulator>();

export async function emulator(
  options: EmulatorOptions = {},
): Promise<{ emu: Emulator; client: DataPipelineClient }> {
  const emu = await startEmulator({ longPollMs: 300, ...options });
  open.add(emu);
  return { emu, client: clientFor(emu) };
}

export function clientFor(emu: Emulator): DataPipelineClient {
  return new DataPipelineClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
}

export async function closeAll(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((e) => e.close()));
}

/** Runs `fn` and returns the SDK error it threw (fails the test when it did not throw). */
export async function serviceError(
  fn: () => Promise<unknown>,
): Promise<{ name: string; message: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await fn();
  } catch (err) {
    return err as { name: string; message: string; $metadata: { httpStatusCode?: number } };
  }
  expect.fail('expected a service error');
}

type DefValue = string | string[] | { ref: string } | Array<{ ref: string }>;

/** Definition-file style objects ({ id, key: value }) to API PipelineObjects, like the aws-cli translator. */
export function objects(
  ...defs: Array<{ id: string; name?: string } & Record<string, DefValue>>
): PipelineObject[] {
  return defs.map(({ id, name, ...rest }) => ({
    id,
    name: name ?? id,
    fields: Object.entries(rest).flatMap(([key, v]) => {
      const values = Array.isArray(v) ? v : [v];
      return values.map((x) => (typeof x === 'string' ? { key, stringValue: x } : { key, refValue: x.ref }));
    }),
  }));
}

export function field(
  obj: { fields?: Array<{ key?: string; stringValue?: string; refValue?: string }> } | undefined,
  key: string,
): string | undefined {
  const f = obj?.fields?.find((x) => x.key === key);
  return f?.stringValue ?? f?.refValue;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function rawCall(
  endpoint: string,
  target: string | undefined,
  body: string,
): Promise<{ status: number; json: any; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  if (target !== undefined) headers['x-amz-target'] = target;
  const res = await fetch(endpoint, { method: 'POST', headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}
