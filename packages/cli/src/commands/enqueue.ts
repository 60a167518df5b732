import { formatOptions, type OptionSpec } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { Host } from '../host.ts';
import { readFileSync } from 'node:fs';

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'redis-url',
    kind: 'url',
    schemes: ['redis', 'rediss'],
    placeholder: 'URL',
    description: 'Redis of the BullMQ queue',
  },
  {
    flag: 'queue',
    kind: 'string',
    env: false,
    placeholder: 'NAME',
    description: 'queue to add to (the worker group it replaces)',
  },
  {
    flag: 'name',
    kind: 'string',
    env: false,
    placeholder: 'TYPE',
    description: 'job name = activity type, e.g. ShellCommandActivity',
  },
  {
    flag: 'data',
    kind: 'string',
    env: false,
    placeholder: 'JSON',
    description: 'job data: the task fields, e.g. {"command":"echo hi"}',
  },
  {
    flag: 'attempts',
    kind: 'int',
    env: false,
    placeholder: 'N',
    description: 'BullMQ attempts (retries + 1)',
  },
  {
    flag: 'secret-key',
    kind: 'string',
    placeholder: 'BASE64',
    description: 'AES-256 key (32 bytes, base64) sealing *-prefixed fields; without it they are refused',
  },
  {
    flag: 'definition',
    kind: 'string',
    env: false,
    placeholder: 'FILE',
    description: 'a pipeline definition (aws-cli format): activities become jobs, dependsOn a flow',
  },
];

export const ENQUEUE_HELP = `Usage: tasklane enqueue --redis-url URL --queue NAME (--name TYPE [--data JSON] | --definition FILE)

Adds jobs to a BullMQ queue served by "tasklane run --source bullmq --queue NAME". One job from --name and
--data, or every activity of a pipeline definition, with dependsOn turned into a BullMQ flow.

Options:
${formatOptions(OPTIONS)}`;

export async function enqueueCommand(argv: readonly string[], host: Host): Promise<number> {
  const { values: v, help } = resolveOptions(OPTIONS, argv, (n) => host.runtime.env(n), {
    configFlag: false,
  });
  if (help) {
    host.stdout(ENQUEUE_HELP + '\n');
    return ExitCode.Ok;
  }
  const url = v['redis-url'] as string | undefined;
  if (!url) throw new UsageError('--redis-url', 'enqueue: --redis-url is required (or TASKLANE_REDIS_URL)');
  const queue = v.queue as string | undefined;
  if (!queue) throw new UsageError('--queue', 'enqueue: --queue is required');
  if (!v.name === !v.definition)
    throw new UsageError('--name', 'enqueue: give exactly one of --name (one job) or --definition FILE');
  const { enqueueJobs, jobsFromDefinition } = await import('@tasklane/source-bullmq');
  let jobs;
  const definitionFile = v.definition as string | undefined;
  if (definitionFile) {
    let definition: unknown;
    try {
      definition = JSON.parse(readFileSync(definitionFile, 'utf8'));
    } catch (error) {
      throw new UsageError(
        '--definition',
        `--definition: cannot read ${definitionFile}: ${(error as Error).message}`,
      );
    }
    try {
      jobs = jobsFromDefinition(definition);
    } catch (error) {
      throw new UsageError('--definition', `--definition: ${(error as Error).message}`);
    }
  } else {
    let data: unknown = {};
    if (v.data !== undefined) {
      try {
        data = JSON.parse(v.data as string);
      } catch (error) {
        throw new UsageError('--data', `--data: not valid JSON: ${(error as Error).message}`);
      }
    }
    jobs = [
      { name: v.name as string, data, ...(v.attempts ? { opts: { attempts: v.attempts as number } } : {}) },
    ];
  }
  const secretKey = v['secret-key'] as string | undefined;
  let result;
  try {
    result = await enqueueJobs({ url, queue, jobs, ...(secretKey ? { secretKey } : {}) });
  } catch (error) {
    const option = (error as { option?: unknown }).option;
    if (option === 'secretKey' || (error as { code?: unknown }).code === 'TL_BULLMQ_SECRET_FIELD')
      throw new UsageError('--secret-key', `enqueue: ${(error as Error).message}`, { cause: error });
    throw error;
  }
  host.stdout(JSON.stringify({ queue, ...result }, null, 2) + '\n');
  return ExitCode.Ok;
}
