import { startEmulator } from '@tasklane/emulator';
import { formatOptions, type OptionSpec } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { Host } from '../host.ts';

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'port',
    kind: 'port',
    default: 8089,
    env: 'TASKLANE_EMULATOR_PORT',
    placeholder: 'N',
    description: 'port to listen on (0 = any free port)',
  },
  {
    flag: 'host',
    kind: 'string',
    default: '127.0.0.1',
    env: 'TASKLANE_EMULATOR_HOST',
    placeholder: 'HOST',
    description: 'address to listen on',
  },
  {
    flag: 'long-poll',
    kind: 'duration',
    default: 90_000,
    placeholder: 'D',
    description: 'longest time a PollForTask is held',
  },
  {
    flag: 'time-scale',
    kind: 'string',
    default: '1',
    placeholder: 'X',
    description: 'speed-up of service time (60: one service minute per second)',
  },
  {
    flag: 'state',
    kind: 'string',
    placeholder: 'FILE',
    description: 'keep pipelines in this JSON file across restarts',
  },
  {
    flag: 'buckets',
    kind: 'list',
    env: 'TASKLANE_EMULATOR_BUCKETS',
    placeholder: 'A,B',
    description: 'S3 buckets that exist from the start (S3 is served on the same port)',
  },
];

export const EMULATOR_HELP = `Usage: tasklane emulator [--port N] [--host H] [--long-poll D] [--time-scale X] [--state FILE] [--buckets A,B]

Runs a local AWS Data Pipeline service that the AWS SDK and CLI can use (endpoint http://HOST:PORT),
with an S3-compatible API on the same port (path-style; point AWS_ENDPOINT_URL_S3 at it).

Options:
${formatOptions(OPTIONS)}`;

export async function emulatorCommand(argv: readonly string[], host: Host): Promise<number> {
  const { values, help } = resolveOptions(OPTIONS, argv, (n) => host.runtime.env(n), { configFlag: false });
  if (help) {
    host.stdout(EMULATOR_HELP + '\n');
    return ExitCode.Ok;
  }
  const timeScale = Number(values['time-scale']);
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new UsageError(
      '--time-scale',
      `--time-scale: expected a positive number, got ${JSON.stringify(values['time-scale'])}`,
    );
  const emulator = await startEmulator({
    port: values.port as number,
    host: values.host as string,
    longPollMs: values['long-poll'] as number,
    timeScale,
    ...(values.state ? { stateFile: values.state as string } : {}),
    ...(values.buckets ? { s3Buckets: values.buckets as string[] } : {}),
  });
  host.stdout(`emulator listening on ${emulator.endpoint}\n`);
  host.stdout(`S3 endpoint ${emulator.s3?.endpoint ?? emulator.endpoint}\n`);
  await new Promise<void>((resolve) => {
    const off = host.runtime.onShutdownSignal?.(() => {
      off?.();
      resolve();
    });
  });
  await emulator.close();
  return ExitCode.Ok;
}
