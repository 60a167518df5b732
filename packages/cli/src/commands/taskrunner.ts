import type { S3Client } from '@aws-sdk/client-s3';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { ExitCode } from '../errors.ts';
import type { Host } from '../host.ts';
import { createLogger } from '../logging.ts';
import { parseTaskRunnerArgs, type TaskRunnerArgs } from '../taskrunner/args.ts';
import { AttemptLogs } from '../taskrunner/attempt-logs.ts';
import { awsClientConfig } from '../taskrunner/aws.ts';
import { RunnerLogFiles } from '../taskrunner/log-files.ts';
import { RunnerLogShipper } from '../taskrunner/log-ship.ts';
import { LogUploader } from '../taskrunner/uploads.ts';
import { runCommand } from './run.ts';

export const TASKRUNNER_HELP = `Usage: tasklane taskrunner --workerGroup=NAME [--config credentials.json] [options]

The Java Task Runner's command line, as it is: replace
  java -jar TaskRunner-1.0.jar --config ~/credentials.json --workerGroup=myWorkerGroup --region=MyRegion --logUri=s3://mybucket/foldername
with
  tasklane taskrunner --config ~/credentials.json --workerGroup=myWorkerGroup --region=MyRegion --logUri=s3://mybucket/foldername
Both --flag=value and --flag value work. See docs/migration-java-runner.md.

Options:
  --config FILE          credentials.json: access-id, private-key, optional endpoint, region, log-uri
  --accessId ID          AWS access key id (takes precedence over --config)
  --secretKey KEY        AWS secret access key (takes precedence over --config)
  --endpoint URL         Data Pipeline endpoint (a host name or URL)
  --workerGroup NAME     worker group to serve (required)
  --taskrunnerId ID      taskrunnerId for heartbeats (default generated)
  --output DIR           working directory; logs in DIR/logs (default output)
  --region REGION        AWS region (default us-east-1)
  --logUri S3URI         where the runner's hourly logs are pushed, every hour and on shutdown
  --tasks N              task threads: tasks run at once (default 2)
  --proxyHost HOST       HTTP(S) proxy for every AWS call
  --proxyPort PORT       proxy port (default 8080)
  --proxyUsername USER   proxy Basic authentication
  --proxyPassword PASS
  --s3NoProxy            S3 calls (log uploads) bypass the proxy
  --help                 this text

Not supported: --proxyDomain and --proxyWorkstation (NTLM), --jdbcDriverS3Path.
Tasklane's other settings are read from TASKLANE_* variables (see tasklane run --help).
Exit codes: 0 graceful stop, 2 usage or configuration error, 1 fatal error, 130 second signal.`;

/** One S3 request of a log upload. */
const UPLOAD_TIMEOUT_MS = 60_000;
/** The longest a stopping runner waits for its last log uploads. */
const FINAL_UPLOAD_MS = 120_000;

/** Where the shell handlers' own S3 client (the SDK's default chain) finds the Java runner's credentials. */
function exportCredentials(args: TaskRunnerArgs): void {
  if (args.credentials) {
    process.env.AWS_ACCESS_KEY_ID = args.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = args.credentials.secretAccessKey;
    // A session token belongs to other keys; mixed with these it would fail every signature.
    delete process.env.AWS_SESSION_TOKEN;
  }
  process.env.AWS_REGION ??= args.region;
  // The Java runner works in <output>/tmp; the shell handlers' attempt directories go there too.
  process.env.TASKLANE_WORK_DIR ??= resolve(args.output, 'tmp');
}

/** The `tasklane run` options the Java flags map to. */
function runArgv(args: TaskRunnerArgs): string[] {
  return [
    '--worker-group',
    args.workerGroup,
    '--region',
    args.region,
    '--concurrency',
    String(args.tasks),
    // The hourly files and Activity.log are JSON lines; a pretty printer would bypass them.
    '--log-format',
    'json',
    ...(args.endpoint ? ['--endpoint', args.endpoint] : []),
    ...(args.taskrunnerId ? ['--taskrunner-id', args.taskrunnerId] : []),
  ];
}

function s3ClientFactory(args: TaskRunnerArgs, host: Host): () => Promise<S3Client> {
  let client: Promise<S3Client> | undefined;
  return () =>
    (client ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
      const env = host.runtime.env.bind(host.runtime);
      const endpoint = env('TASKLANE_S3_ENDPOINT') ?? env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL');
      return new S3Client({
        region: args.region,
        followRegionRedirects: true,
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        // A hung S3 must not hang an upload, nor the shutdown that waits for the last ones.
        ...awsClientConfig(
          args,
          { requestHandler: { requestTimeout: UPLOAD_TIMEOUT_MS, throwOnRequestTimeout: true } },
          !args.s3NoProxy,
        ),
      });
    }));
}

/** `tasklane taskrunner`: the Java Task Runner's command line over `tasklane run`. */
export async function taskrunnerCommand(argv: readonly string[], host: Host): Promise<number> {
  const args = parseTaskRunnerArgs(argv);
  if (args.help) {
    host.stdout(TASKRUNNER_HELP + '\n');
    return ExitCode.Ok;
  }
  exportCredentials(args);
  const logsDir = join(args.output, 'logs');
  const files = new RunnerLogFiles({ dir: logsDir, tee: (line) => host.stdout(line) });
  const logger = await createLogger({ level: 'info', format: 'json', destination: files });
  let failedMetric: { inc(labels: { kind: string }): void } | undefined;
  const uploader = new LogUploader({
    client: s3ClientFactory(args, host),
    logger: () => logger,
    onFailure: (kind) => failedMetric?.inc({ kind }),
  });
  const attempts = new AttemptLogs({ logsDir, files, uploader, logger: () => logger });
  const shipper = args.logUri
    ? new RunnerLogShipper({
        files,
        uploader,
        location: args.logUri,
        folder: args.taskrunnerId ?? host.runtime.hostname(),
      })
    : undefined;
  logger.info(
    {
      workerGroup: args.workerGroup,
      region: args.region,
      credentials: args.credentials
        ? 'given (--config or --accessId/--secretKey)'
        : 'the AWS SDK default chain',
      proxy: args.proxy ? `${args.proxy.host}:${args.proxy.port}` : undefined,
      logs: logsDir,
      logUri: args.logUri ? `s3://${args.logUri.bucket}/${args.logUri.prefix}` : undefined,
    },
    'tasklane taskrunner: Java Task Runner command line',
  );
  const base = host.dataPipelineClientConfig?.bind(host);
  const wrapped: Host = { ...host, dataPipelineClientConfig: () => awsClientConfig(args, base?.() ?? {}) };
  shipper?.start();
  try {
    return await runCommand(runArgv(args), wrapped, {
      logDestination: files,
      hooks: [attempts.hooks()],
      prepareRegistry: (registry) => attempts.wrapRegistry(registry),
      onMetrics: (metrics) => {
        void import('prom-client').then(({ Counter }) => {
          failedMetric = new Counter({
            name: 'tasklane_log_uploads_failed_total',
            help: 'log files that could not be uploaded to S3 after retries',
            labelNames: ['kind'],
            registers: [metrics.registry],
          });
        });
      },
      onStopped: async () => {
        shipper?.stop();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, FINAL_UPLOAD_MS)));
        await Promise.race([uploader.settled().then(() => shipper?.ship()), bound]);
        clearTimeout(timer);
      },
    });
  } finally {
    shipper?.stop();
  }
}
