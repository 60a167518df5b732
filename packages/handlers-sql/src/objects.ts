import type * as DataPipelineSdk from '@aws-sdk/client-data-pipeline';
import type { Task, TaskObject } from '@tasklane/core';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from './errors.ts';

/** Reads settings from the host environment (`ctx.runtime.env`). */
export type EnvReader = (name: string) => string | undefined;

interface FieldLike {
  key?: string;
  stringValue?: string;
  refValue?: string;
}

const PARENT_KEYS = ['parent', '@componentParent'];
const MAX_DEPTH = 16;

/**
 * One pipeline object (a database or a data node) with its fields, read through `parent` like the service
 * does. Built from the task's own objects, or from DescribeObjects when the service did not send them.
 */
export class PipelineObject {
  constructor(
    readonly id: string,
    readonly values: ReadonlyMap<string, readonly string[]>,
    readonly refs: ReadonlyMap<string, readonly string[]>,
    private readonly parent?: PipelineObject,
  ) {}

  static fromFields(id: string, fields: readonly FieldLike[], parent?: PipelineObject): PipelineObject {
    const values = new Map<string, string[]>();
    const refs = new Map<string, string[]>();
    for (const f of fields) {
      if (f.key === undefined) continue;
      const target = f.refValue !== undefined ? refs : values;
      const list = target.get(f.key) ?? [];
      list.push(f.refValue ?? f.stringValue ?? '');
      target.set(f.key, list);
    }
    return new PipelineObject(id, values, refs, parent);
  }

  static fromTaskObject(object: TaskObject, parent?: PipelineObject): PipelineObject {
    const values = new Map<string, string[]>();
    const refs = new Map<string, string[]>();
    for (const key of object.keys()) {
      const own = object.ownValues(key);
      if (own) values.set(key, [...own]);
      const ownRefs = object.ownRefs(key);
      if (ownRefs) refs.set(key, [...ownRefs]);
    }
    return new PipelineObject(object.id, values, refs, parent);
  }

  get type(): string | undefined {
    return this.get('type');
  }

  get(key: string): string | undefined {
    return this.values.get(key)?.[0] ?? this.parent?.get(key);
  }

  getAll(key: string): string[] {
    return [...(this.values.get(key) ?? this.parent?.getAll(key) ?? [])];
  }

  refIds(key: string): string[] {
    return [...(this.refs.get(key) ?? this.parent?.refIds(key) ?? [])];
  }

  /** The field, or a FAILED naming the object and the field. */
  require(key: string): string {
    const value = this.get(key);
    if (value === undefined || value === '') {
      throw sqlFailure(
        SqlErrorId.InvalidSpec,
        `${this.type ?? 'object'} "${this.id}": field "${key}" is required`,
      );
    }
    return value;
  }
}

/**
 * Finds the objects an activity refers to (`database`, `input`, `output`). The service sends them in the
 * task; when it sent only the attempt (the emulator does), they are fetched once with DescribeObjects,
 * expressions evaluated, from the endpoint the runner uses (`TASKLANE_ENDPOINT` or the SDK's own settings).
 */
export class ObjectResolver {
  readonly #fetched = new Map<string, PipelineObject>();

  constructor(
    private readonly task: Task,
    private readonly env: EnvReader,
    private readonly signal?: AbortSignal,
  ) {}

  /** The attempt as a PipelineObject, inheriting from its component when the task carries it. */
  attempt(): PipelineObject {
    return this.#local(this.task.attemptId, 0)!;
  }

  /** Ids referenced by `key` on the attempt or its parents. */
  refIds(key: string): string[] {
    return this.attempt().refIds(key);
  }

  /** Every object referenced by `key` on `owner` (default: the attempt). */
  async refs(key: string, owner: PipelineObject = this.attempt()): Promise<PipelineObject[]> {
    const out: PipelineObject[] = [];
    for (const id of owner.refIds(key)) out.push(await this.object(id));
    return out;
  }

  /** The one object referenced by `key`, or a FAILED saying it is missing. */
  async requireRef(key: string, owner: PipelineObject = this.attempt()): Promise<PipelineObject> {
    const [first] = await this.refs(key, owner);
    if (!first) {
      throw sqlFailure(
        SqlErrorId.InvalidSpec,
        `${owner.type ?? this.task.activityType}: field "${key}" must reference a pipeline object`,
      );
    }
    return first;
  }

  async object(id: string): Promise<PipelineObject> {
    const local = this.#local(id, 0);
    if (local) return local;
    const cached = this.#fetched.get(id);
    if (cached) return cached;
    const fetched = await this.#describe(id);
    this.#fetched.set(id, fetched);
    return fetched;
  }

  #local(id: string, depth: number): PipelineObject | undefined {
    const object = this.task.objects.get(id);
    if (!object || depth > MAX_DEPTH) return undefined;
    const parentId = PARENT_KEYS.map((k) => object.ownRefs(k)?.[0]).find((v) => v !== undefined);
    const parent = parentId && parentId !== id ? this.#local(parentId, depth + 1) : undefined;
    return PipelineObject.fromTaskObject(object, parent);
  }

  async #describe(id: string): Promise<PipelineObject> {
    let sdk: typeof DataPipelineSdk;
    try {
      sdk = await import('@aws-sdk/client-data-pipeline');
    } catch (error) {
      throw sqlFailure(SqlErrorId.InvalidSpec, `object "${id}" is not in the task: ${reason(error)}`);
    }
    const endpoint = this.env('TASKLANE_ENDPOINT') ?? this.env('AWS_ENDPOINT_URL_DATA_PIPELINE');
    const region = this.env('TASKLANE_REGION') ?? this.env('AWS_REGION') ?? 'us-east-1';
    const client = new sdk.DataPipelineClient({ region, ...(endpoint ? { endpoint } : {}) });
    try {
      const reply = await client.send(
        new sdk.DescribeObjectsCommand({
          pipelineId: this.task.pipelineId,
          objectIds: [id],
          evaluateExpressions: true,
        }),
        { abortSignal: this.signal },
      );
      const found = reply.pipelineObjects?.find((o) => o.id === id);
      if (!found) throw new Error('the service does not know it');
      const parentId = found.fields?.find((f) => f.key === 'parent')?.refValue;
      const parent = parentId && parentId !== id ? await this.object(parentId) : undefined;
      return PipelineObject.fromFields(id, found.fields ?? [], parent);
    } catch (error) {
      if (isTaskFailure(error)) throw error;
      throw sqlFailure(
        SqlErrorId.InvalidSpec,
        `object "${id}" referenced by ${this.task.activityType} could not be described: ${reason(error)}`,
      );
    } finally {
      client.destroy();
    }
  }
}
