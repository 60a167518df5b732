import {
  DataPipelineClient,
  ActivatePipelineCommand,
  CreatePipelineCommand,
  PutPipelineDefinitionCommand,
} from '@aws-sdk/client-data-pipeline';
import { DataPipelineSource, InProcessCoordinator, Runner, type Coordinator } from '@tasklane/core';
import { emulatorEnv, startEmulator } from '@tasklane/emulator';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOptions, type OptionSpec } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { definitionToObjects } from '../definition.ts';
import { ExitCode } from '../errors.ts';
import type { Host } from '../host.ts';
import { createLogger } from '../logging.ts';
import { loadPlugins } from '../plugins.ts';
import { renderTable } from '../table.ts';
import { DEMO_BUCKET, DEMO_INPUT, demoDefinition } from './demo-pipeline.ts';
import { instanceStatuses } from './pipeline.ts';

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'runners',
    kind: 'int',
    default: 2,
    env: 'TASKLANE_DEMO_RUNNERS',
    placeholder: 'N',
    description: 'runner instances in the fleet',
  },
  {
    flag: 'redis-url',
    kind: 'url',
    env: 'REDIS_URL',
    schemes: ['redis', 'rediss'],
    placeholder: 'URL',
    description: 'run the fleet as separate processes coordinated through this Redis',
  },
  {
    flag: 'source',
    kind: 'enum',
    default: 'datapipeline',
    choices: ['datapipeline', 'stepfunctions'],
    env: false,
    placeholder: 'KIND',
    description: 'stepfunctions: the pipeline migrated to a state machine, run as activities',
  },
  {
    flag: 'timeout',
    kind: 'duration',
    default: 120_000,
    placeholder: 'D',
    description: 'give up after this long',
  },
];

export const DEMO_HELP = `Usage: tasklane demo [--runners N] [--redis-url URL] [--source stepfunctions]

Starts the Data Pipeline emulator, creates and activates a sample pipeline (shell activities, a
precondition, a step that fails once and is retried, a dependency chain, a step that stages an S3 input
and publishes an S3 output on the emulator's S3) and runs it on a small runner
fleet, with a live view. Exits 0 when the pipeline finishes. No AWS account needed. With REDIS_URL set the
runners are separate processes coordinated through Redis.

Options:
${formatOptions(OPTIONS)}`;

const TERMINAL = new Set(['FINISHED', 'FAILED', 'CANCELED', 'CASCADE_FAILED', 'SKIPPED', 'TIMEDOUT']);
const WORKER_GROUP = 'demo';
const TIME_SCALE = 60;

export async function demoCommand(argv: readonly string[], host: Host): Promise<number> {
  const { values, help } = resolveOptions(OPTIONS, argv, (n) => host.runtime.env(n), { configFlag: false });
  if (help) {
    host.stdout(DEMO_HELP + '\n');
    return ExitCode.Ok;
  }
  if (values.source === 'stepfunctions')
    return (await import('./demo-stepfunctions.ts')).demoStepFunctions(host, values.timeout as number);
  const began = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'tasklane-demo-'));
  // One service minute per second: retry delays and lease timeouts shrink so the demo takes seconds.
  const emulator = await startEmulator({
    port: 0,
    longPollMs: 1000,
    timeScale: TIME_SCALE,
    s3Buckets: [DEMO_BUCKET],
  });
  emulator.s3?.putObject(DEMO_BUCKET, DEMO_INPUT.key, DEMO_INPUT.body);
  // Runners (in-process or spawned) and their shell children reach the emulator's S3 through the
  // standard variables; the demo talks to nothing else, so it may set them for its own process.
  for (const [name, value] of Object.entries(emulatorEnv(emulator)))
    if (name.startsWith('AWS_ENDPOINT_URL') || name === 'TASKLANE_S3_ENDPOINT' || !process.env[name])
      process.env[name] = value;
  const credentials = { accessKeyId: 'demo', secretAccessKey: 'demo' };
  const client = new DataPipelineClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials,
    ...host.dataPipelineClientConfig?.(),
  });
  const runnerCount = values.runners as number;
  const redisUrl = values['redis-url'] as string | undefined;
  const runners: Runner[] = [];
  const processes: ChildProcess[] = [];
  host.stdout(
    `Tasklane demo: emulator at ${emulator.endpoint}, ${runnerCount} runner(s) ${redisUrl ? 'as processes coordinated through Redis' : 'in this process'}\n`,
  );
  try {
    const { pipelineId = '' } = await client.send(
      new CreatePipelineCommand({ name: 'tasklane-demo', uniqueId: `demo-${began}` }),
    );
    const put = await client.send(
      new PutPipelineDefinitionCommand({
        pipelineId,
        pipelineObjects: definitionToObjects(demoDefinition(workDir, WORKER_GROUP)),
      }),
    );
    if (put.errored) throw new Error(`demo definition rejected: ${JSON.stringify(put.validationErrors)}`);
    await client.send(new ActivatePipelineCommand({ pipelineId }));

    if (redisUrl) {
      for (let i = 0; i < runnerCount; i++) {
        const [cmd, ...args] = host.selfCommand();
        processes.push(
          spawn(
            cmd ?? 'tasklane',
            [
              ...args,
              'run',
              '--worker-group',
              WORKER_GROUP,
              '--endpoint',
              emulator.endpoint,
              '--redis-url',
              redisUrl,
              '--redis-key-prefix',
              `tl-demo-${began}:`,
              '--progress-interval',
              '2s',
              '--hostname',
              `demo-runner-${i + 1}`,
              '--log-level',
              'warn',
            ],
            {
              stdio: ['ignore', 'inherit', 'inherit'],
              env: { ...process.env, AWS_ACCESS_KEY_ID: 'demo', AWS_SECRET_ACCESS_KEY: 'demo' },
            },
          ),
        );
      }
    } else {
      const logger = await createLogger({ level: 'warn', format: 'pretty' });
      const coordinator: Coordinator = new InProcessCoordinator();
      for (let i = 0; i < runnerCount; i++) {
        const { registry } = await loadPlugins(['@tasklane/handlers-shell'], workDir);
        const source = new DataPipelineSource({
          endpoint: emulator.endpoint,
          hostname: `demo-runner-${i + 1}`,
          taskrunnerId: `demo-runner-${i + 1}`,
          clientConfig: { credentials, ...host.dataPipelineClientConfig?.() },
        });
        const runner = new Runner({
          registry,
          sources: [{ source, groups: [WORKER_GROUP] }],
          coordinator,
          runtime: host.runtime,
          logger,
          progressInterval: '2s',
        });
        await runner.start();
        runners.push(runner);
      }
    }

    const deadline = began + (values.timeout as number);
    let rows: Awaited<ReturnType<typeof instanceStatuses>> = [];
    let last = '';
    while (Date.now() < deadline) {
      rows = (await instanceStatuses(client, pipelineId)).filter((r) => r.component !== '');
      const table = renderTable(
        ['activity', 'status', 'attempts'],
        rows.map((r) => [r.component, r.status, r.attempts]),
      );
      if (table !== last) {
        host.stdout(
          host.isTTY && last
            ? `\x1b[${last.split('\n').length}A\x1b[0J${table}`
            : `${table}${host.isTTY ? '' : '\n'}`,
        );
        last = table;
      }
      if (rows.length > 0 && rows.every((r) => TERMINAL.has(r.status))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const obs = emulator.control.observations();
    const finished = rows.length > 0 && rows.every((r) => r.status === 'FINISHED');
    const byHost = new Map<string, number>();
    for (const t of Object.values(obs.tasks))
      if (t.hostname) byHost.set(t.hostname, (byHost.get(t.hostname) ?? 0) + 1);
    host.stdout(
      `\nSummary: pipeline ${pipelineId} ${finished ? 'FINISHED' : 'did not finish'} in ${((Date.now() - began) / 1000).toFixed(1)} s\n` +
        `  tasks handed out: ${Object.keys(obs.tasks).length}, by runner: ${[...byHost].map(([h, n]) => `${h}=${n}`).join(', ') || 'none'}\n` +
        `  max concurrent polls on "${WORKER_GROUP}": ${obs.groups[WORKER_GROUP]?.maxInFlightPolls ?? 0}` +
        `${redisUrl ? ' (fleet-wide, through Redis)' : ''}\n` +
        `  S3 output: ${(emulator.s3?.listKeys(DEMO_BUCKET, 'output/') ?? []).map((k) => `s3://${DEMO_BUCKET}/${k}`).join(', ') || 'none'}\n` +
        rows
          .filter((r) => r.error)
          .map((r) => `  ${r.component}: ${r.error}\n`)
          .join(''),
    );
    return finished ? ExitCode.Ok : ExitCode.Fatal;
  } finally {
    await Promise.all(runners.map((r) => r.stop()));
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    client.destroy();
    await emulator.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}
