import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  DataPipelineClient,
  DeactivatePipelineCommand,
  DescribeObjectsCommand,
  ListPipelinesCommand,
  PutPipelineDefinitionCommand,
  QueryObjectsCommand,
} from '@aws-sdk/client-data-pipeline';
import type { ParameterObject, ParameterValue } from '@aws-sdk/client-data-pipeline';
import { readFileSync } from 'node:fs';
import { formatOptions, type OptionSpec } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { ENDPOINT_OPTION, REGION_OPTION } from './run-options.ts';
import { readDefinitionFile } from '../definition.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { Host } from '../host.ts';

const OPTIONS: readonly OptionSpec[] = [
  ENDPOINT_OPTION,
  REGION_OPTION,
  { flag: 'name', kind: 'string', env: false, placeholder: 'NAME', description: 'pipeline name (create)' },
  {
    flag: 'unique-id',
    kind: 'string',
    env: false,
    placeholder: 'ID',
    description: 'idempotency token (create; default the name)',
  },
  {
    flag: 'definition',
    kind: 'string',
    env: false,
    placeholder: 'FILE',
    description: 'definition file in the aws-cli {"objects":[…]} format (create, put)',
  },
  {
    flag: 'pipeline-id',
    kind: 'string',
    env: false,
    placeholder: 'ID',
    description: 'pipeline id (put, activate, deactivate, status)',
  },
  {
    flag: 'parameter-value',
    kind: 'list',
    env: false,
    placeholder: 'ID=VALUE',
    description: 'parameter value overriding the file\'s "values" (create, put, activate; repeatable)',
  },
  { flag: 'activate', kind: 'boolean', env: false, description: 'activate after create/put' },
];

export const PIPELINE_HELP = `Usage: tasklane pipeline <create|put|activate|deactivate|list|status> [options]

  create      --name NAME --definition FILE [--parameter-value ID=VALUE]... [--activate]
              create (idempotent), put the definition with its "parameters" and "values"
  put         --pipeline-id ID --definition FILE [--parameter-value ID=VALUE]... [--activate]
  activate    --pipeline-id ID [--parameter-value ID=VALUE]...
  deactivate  --pipeline-id ID
  list
  status      --pipeline-id ID                              instance statuses

Options:
${formatOptions(OPTIONS)}`;

function need(values: Record<string, unknown>, flag: string, sub: string): string {
  const value = values[flag];
  if (typeof value !== 'string') throw new UsageError(`--${flag}`, `pipeline ${sub}: --${flag} is required`);
  return value;
}

export async function pipelineCommand(argv: readonly string[], host: Host): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    host.stdout(PIPELINE_HELP + '\n');
    return sub ? ExitCode.Ok : ExitCode.Usage;
  }
  const { values, help } = resolveOptions(OPTIONS, rest, (n) => host.runtime.env(n), { configFlag: false });
  if (help) {
    host.stdout(PIPELINE_HELP + '\n');
    return ExitCode.Ok;
  }
  const client = new DataPipelineClient({
    region: (values.region as string | undefined) ?? host.runtime.env('AWS_REGION') ?? 'us-east-1',
    ...(values.endpoint ? { endpoint: values.endpoint as string } : {}),
    ...host.dataPipelineClientConfig?.(),
  });
  const out = (data: unknown) => host.stdout(JSON.stringify(data, null, 2) + '\n');
  try {
    switch (sub) {
      case 'create': {
        const name = need(values, 'name', sub);
        const definition = readDefinition(need(values, 'definition', sub), values['parameter-value']);
        const { pipelineId } = await client.send(
          new CreatePipelineCommand({ name, uniqueId: (values['unique-id'] as string | undefined) ?? name }),
        );
        const put = await client.send(new PutPipelineDefinitionCommand({ pipelineId, ...definition }));
        if (put.errored) {
          out({ pipelineId, errored: true, validationErrors: put.validationErrors });
          return ExitCode.Fatal;
        }
        if (values.activate) await client.send(new ActivatePipelineCommand({ pipelineId }));
        out({
          pipelineId,
          validationWarnings: put.validationWarnings ?? [],
          activated: values.activate === true,
        });
        return ExitCode.Ok;
      }
      case 'put': {
        const pipelineId = need(values, 'pipeline-id', sub);
        const definition = readDefinition(need(values, 'definition', sub), values['parameter-value']);
        const put = await client.send(new PutPipelineDefinitionCommand({ pipelineId, ...definition }));
        if (!put.errored && values.activate) await client.send(new ActivatePipelineCommand({ pipelineId }));
        out({
          pipelineId,
          errored: put.errored,
          validationErrors: put.validationErrors ?? [],
          validationWarnings: put.validationWarnings ?? [],
        });
        return put.errored ? ExitCode.Fatal : ExitCode.Ok;
      }
      case 'activate': {
        // Values given here apply to this run only; the stored definition keeps its own.
        const parameterValues = parameterOverrides(values['parameter-value']);
        await client.send(
          new ActivatePipelineCommand({
            pipelineId: need(values, 'pipeline-id', sub),
            ...(parameterValues.length > 0 ? { parameterValues } : {}),
          }),
        );
        return ExitCode.Ok;
      }
      case 'deactivate':
        await client.send(new DeactivatePipelineCommand({ pipelineId: need(values, 'pipeline-id', sub) }));
        return ExitCode.Ok;
      case 'list': {
        const ids = [];
        let marker: string | undefined;
        do {
          const page = await client.send(new ListPipelinesCommand(marker ? { marker } : {}));
          ids.push(...(page.pipelineIdList ?? []));
          marker = page.hasMoreResults ? page.marker : undefined;
        } while (marker);
        out(ids);
        return ExitCode.Ok;
      }
      case 'status': {
        out(await instanceStatuses(client, need(values, 'pipeline-id', sub)));
        return ExitCode.Ok;
      }
      default:
        throw new UsageError(
          sub,
          `pipeline: unknown subcommand "${sub}"; use create, put, activate, deactivate, list or status`,
        );
    }
  } finally {
    client.destroy();
  }
}

interface DefinitionInput {
  pipelineObjects: ReturnType<typeof readDefinitionFile>;
  parameterObjects?: ParameterObject[];
  parameterValues?: ParameterValue[];
}

/** The file's objects, `parameters` and `values` (aws-cli format), with --parameter-value overrides. */
function readDefinition(path: string, overrides: unknown): DefinitionInput {
  const pipelineObjects = readDefinitionFile(path);
  // readDefinitionFile has already proved the file readable and valid JSON.
  const data = JSON.parse(readFileSync(path, 'utf8')) as { parameters?: unknown; values?: unknown };
  const parameterObjects = definitionParameters(data.parameters, path);
  const parameterValues = mergeValues(definitionValues(data.values, path), parameterOverrides(overrides));
  return {
    pipelineObjects,
    ...(parameterObjects.length > 0 ? { parameterObjects } : {}),
    ...(parameterValues.length > 0 ? { parameterValues } : {}),
  };
}

const scalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** `"parameters": [{"id": "myP", "type": "String", "default": "x", …}]` → ParameterObjects. */
export function definitionParameters(raw: unknown, where: string): ParameterObject[] {
  if (raw === undefined) return [];
  const bad = (why: string) => new UsageError('--definition', `${where}: "parameters" ${why}`);
  if (!Array.isArray(raw)) throw bad('must be a list');
  return raw.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null) throw bad(`[${i}] is not an object`);
    const { id, ...attrs } = p as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') throw bad(`[${i}] has no "id"`);
    const attributes = Object.entries(attrs).flatMap(([key, v]) => {
      const items = Array.isArray(v) ? v : [v];
      if (!items.every(scalar))
        throw bad(`[${i}] "${key}" must be a string, number, boolean or a list of them`);
      return items.map((item) => ({ key, stringValue: String(item) }));
    });
    return { id, attributes };
  });
}

/** `"values": {"myP": "v", "myList": ["a", "b"]}` → ParameterValues (a list repeats the id). */
export function definitionValues(raw: unknown, where: string): ParameterValue[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UsageError('--definition', `${where}: "values" must be an object of id: value`);
  return Object.entries(raw as Record<string, unknown>).flatMap(([id, v]) => {
    const items = Array.isArray(v) ? v : [v];
    if (!items.every(scalar))
      throw new UsageError(
        '--definition',
        `${where}: "values"."${id}" must be a string, number or a list of them`,
      );
    return items.map((item) => ({ id, stringValue: String(item) }));
  });
}

/**
 * `--parameter-value id=value` items. The option parser splits on commas, so a fragment without `=`
 * belongs to the value before it (`--parameter-value myCols=a,b` keeps `a,b`).
 */
export function parameterOverrides(raw: unknown): ParameterValue[] {
  const out: ParameterValue[] = [];
  for (const item of Array.isArray(raw) ? (raw as string[]) : []) {
    const eq = item.indexOf('=');
    if (eq < 0 && out.length > 0) {
      out[out.length - 1]!.stringValue += `,${item}`;
      continue;
    }
    if (eq <= 0)
      throw new UsageError(
        '--parameter-value',
        `--parameter-value: expected ID=VALUE, got ${JSON.stringify(item)}`,
      );
    out.push({ id: item.slice(0, eq), stringValue: item.slice(eq + 1) });
  }
  return out;
}

/** Overrides replace every value of their id; several overrides of one id make a list. */
function mergeValues(base: ParameterValue[], overrides: ParameterValue[]): ParameterValue[] {
  const replaced = new Set(overrides.map((o) => o.id));
  return [...base.filter((v) => !replaced.has(v.id)), ...overrides];
}

/** Every instance of a pipeline with its component, status and attempt count. */
export async function instanceStatuses(
  client: DataPipelineClient,
  pipelineId: string,
): Promise<Array<{ id: string; component: string; status: string; attempts: string; error?: string }>> {
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(
      new QueryObjectsCommand({ pipelineId, sphere: 'INSTANCE', ...(marker ? { marker } : {}) }),
    );
    ids.push(...(page.ids ?? []));
    marker = page.hasMoreResults ? page.marker : undefined;
  } while (marker);
  const rows = [];
  for (let i = 0; i < ids.length; i += 25) {
    const { pipelineObjects } = await client.send(
      new DescribeObjectsCommand({ pipelineId, objectIds: ids.slice(i, i + 25) }),
    );
    for (const object of pipelineObjects ?? []) {
      const field = (key: string) => object.fields?.find((f) => f.key === key);
      const value = (key: string) => field(key)?.stringValue ?? field(key)?.refValue ?? '';
      const error = value('errorMessage');
      rows.push({
        id: object.id ?? '',
        component: value('@componentParent'),
        status: value('@status'),
        attempts: value('@attemptCount'),
        ...(error ? { error } : {}),
      });
    }
  }
  return rows;
}
