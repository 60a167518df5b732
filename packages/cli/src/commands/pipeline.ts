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
  { flag: 'activate', kind: 'boolean', env: false, description: 'activate after create/put' },
];

export const PIPELINE_HELP = `Usage: tasklane pipeline <create|put|activate|deactivate|list|status> [options]

  create      --name NAME --definition FILE [--activate]   create (idempotent), put the definition
  put         --pipeline-id ID --definition FILE [--activate]
  activate    --pipeline-id ID
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
        const objects = readDefinitionFile(need(values, 'definition', sub));
        const { pipelineId } = await client.send(
          new CreatePipelineCommand({ name, uniqueId: (values['unique-id'] as string | undefined) ?? name }),
        );
        const put = await client.send(
          new PutPipelineDefinitionCommand({ pipelineId, pipelineObjects: objects }),
        );
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
        const put = await client.send(
          new PutPipelineDefinitionCommand({
            pipelineId,
            pipelineObjects: readDefinitionFile(need(values, 'definition', sub)),
          }),
        );
        if (!put.errored && values.activate) await client.send(new ActivatePipelineCommand({ pipelineId }));
        out({
          pipelineId,
          errored: put.errored,
          validationErrors: put.validationErrors ?? [],
          validationWarnings: put.validationWarnings ?? [],
        });
        return put.errored ? ExitCode.Fatal : ExitCode.Ok;
      }
      case 'activate':
        await client.send(new ActivatePipelineCommand({ pipelineId: need(values, 'pipeline-id', sub) }));
        return ExitCode.Ok;
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
