import { TasklaneError, VERSION } from '@tasklane/core';
import { demoCommand, DEMO_HELP } from './commands/demo.ts';
import { emulatorCommand, EMULATOR_HELP } from './commands/emulator.ts';
import { enqueueCommand, ENQUEUE_HELP } from './commands/enqueue.ts';
import { manifestsCommand, MANIFESTS_HELP } from './commands/manifests.ts';
import { pipelineCommand, PIPELINE_HELP } from './commands/pipeline.ts';
import { runCommand, RUN_HELP } from './commands/run.ts';
import { statusCommand, STATUS_HELP } from './commands/status.ts';
import { ExitCode, UsageError } from './errors.ts';
import type { Host } from './host.ts';

type Command = { run(argv: readonly string[], host: Host): Promise<number>; help: string; summary: string };

const COMMANDS: Record<string, Command> = {
  run: { run: runCommand, help: RUN_HELP, summary: 'poll worker groups and run tasks with plugin handlers' },
  emulator: { run: emulatorCommand, help: EMULATOR_HELP, summary: 'run a local Data Pipeline service' },
  demo: {
    run: demoCommand,
    help: DEMO_HELP,
    summary: 'emulator + sample pipeline + runner fleet, with a live view',
  },
  status: {
    run: statusCommand,
    help: STATUS_HELP,
    summary: 'print the fleet from Redis (lease holders, instances, tasks)',
  },
  pipeline: {
    run: pipelineCommand,
    help: PIPELINE_HELP,
    summary: 'create, put, activate and inspect pipelines',
  },
  enqueue: {
    run: enqueueCommand,
    help: ENQUEUE_HELP,
    summary: 'add jobs to a BullMQ queue (one job or a pipeline definition)',
  },
  manifests: {
    run: manifestsCommand,
    help: MANIFESTS_HELP,
    summary: 'render Kubernetes manifests for a fleet',
  },
};

/** Extra commands contributed by optional packages (e.g. `enqueue` from the BullMQ source). */
export function registerCommand(name: string, command: Command): void {
  COMMANDS[name] = command;
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  return `Usage: tasklane <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`)
  .join('\n')}

Run "tasklane <command> --help" for a command's options. "tasklane --version" prints the version.`;
}

/**
 * Runs one tasklane invocation and returns its exit code: 0 success or graceful stop, 2 usage or
 * configuration error (message on stderr naming the option), 1 unexpected fatal error.
 */
export async function main(argv: readonly string[], host: Host): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    host.stdout((topic && COMMANDS[topic] ? COMMANDS[topic].help : usage()) + '\n');
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    host.stdout(`tasklane ${VERSION} (${host.runtime.name} ${host.runtime.version})\n`);
    return ExitCode.Ok;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(name, `unknown command "${name}"\n\n${usage()}`);
    return await command.run(rest, host);
  } catch (error) {
    if (error instanceof UsageError || (TasklaneError.is(error) && error.code === 'TL_USAGE')) {
      host.stderr(`tasklane: ${error.message}\n`);
      return ExitCode.Usage;
    }
    if (TasklaneError.is(error) && error.code === 'TL_INVALID_OPTION') {
      host.stderr(`tasklane: ${error.message}\n`);
      return ExitCode.Usage;
    }
    host.stderr(
      `tasklane: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.Fatal;
  }
}
