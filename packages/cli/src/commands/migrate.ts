import { formatOptions, type OptionSpec } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { readDefinitionFile } from '../definition.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { Host } from '../host.ts';
import { ENDPOINT_OPTION, REGION_OPTION } from './run-options.ts';

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'definition',
    kind: 'string',
    env: false,
    placeholder: 'FILE',
    description: 'Data Pipeline definition file (aws-cli {"objects":[…]} format)',
  },
  {
    flag: 'create',
    kind: 'string',
    env: false,
    placeholder: 'NAME',
    description: 'also create the activities and a state machine of this name (Step Functions)',
  },
  {
    flag: 'heartbeat-seconds',
    kind: 'int',
    env: false,
    placeholder: 'N',
    description: 'HeartbeatSeconds of tasks without reportProgressTimeout (default 60)',
  },
  { ...ENDPOINT_OPTION, description: 'Step Functions endpoint (e.g. the emulator), with --create' },
  REGION_OPTION,
];

export const MIGRATE_HELP = `Usage: tasklane migrate --definition FILE [--create NAME] [options]

Translates a Data Pipeline definition into a Step Functions state machine: one Task per activity on the
activity of its type, dependsOn → order, maximumRetries/retryDelay → Retry, preconditions → Tasks
retried while FALSE. Prints {"definition", "activities"} (or, with --create, the ARNs it created) on
stdout and what it could not translate on stderr. Run the handlers with
  tasklane run --source stepfunctions --activity <name> ...

Options:
${formatOptions(OPTIONS)}`;

export async function migrateCommand(argv: readonly string[], host: Host): Promise<number> {
  const { values, help } = resolveOptions(OPTIONS, argv, (n) => host.runtime.env(n), { configFlag: false });
  if (help) {
    host.stdout(MIGRATE_HELP + '\n');
    return ExitCode.Ok;
  }
  const file = values.definition;
  if (typeof file !== 'string') throw new UsageError('--definition', 'migrate: --definition is required');
  const sfn = await import('@tasklane/source-stepfunctions');
  let migration;
  try {
    const heartbeatSeconds = values['heartbeat-seconds'] as number | undefined;
    migration = sfn.migrateDefinition(
      { objects: readDefinitionFile(file) },
      heartbeatSeconds === undefined ? {} : { heartbeatSeconds },
    );
  } catch (error) {
    if ((error as { code?: unknown }).code === sfn.StepFunctionsErrorCode.InvalidDefinition)
      throw new UsageError('--definition', `--definition: ${(error as Error).message}`, { cause: error });
    throw error;
  }
  for (const line of migration.untranslated) host.stderr(`not translated: ${line}\n`);
  const out = (data: unknown) => host.stdout(JSON.stringify(data, null, 2) + '\n');
  const name = values.create as string | undefined;
  if (name === undefined) {
    out({ definition: migration.definition, activities: migration.activities });
    return ExitCode.Ok;
  }
  const client = new sfn.SFNClient({
    region: (values.region as string | undefined) ?? host.runtime.env('AWS_REGION') ?? 'us-east-1',
    ...(values.endpoint ? { endpoint: values.endpoint as string } : {}),
  });
  try {
    out(await sfn.deployMigration(client, migration, { name }));
    return ExitCode.Ok;
  } finally {
    client.destroy();
  }
}
