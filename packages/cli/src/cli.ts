import { TasklaneError, VERSION } from '@tasklane/core';
import { ExitCode, UsageError } from './errors.ts';
import { missingPeer } from './peer-import.ts';
import { redactText } from './security/redact.ts';
import type { Host } from './host.ts';

/** A command module: its entry point and its help text. */
interface CommandModule {
  run(argv: readonly string[], host: Host): Promise<number>;
  help: string;
}

type Command = { load(): Promise<CommandModule>; summary: string };

// Commands load on use: `tasklane run` never pays for the emulator, the manifest renderer or the AWS
// control-plane commands (start-up time and idle memory are budgets, see the README).
const COMMANDS: Record<string, Command> = {
  run: {
    load: async () => {
      const m = await import('./commands/run.ts');
      return { run: m.runCommand, help: m.RUN_HELP };
    },
    summary: 'poll worker groups and run tasks with plugin handlers',
  },
  taskrunner: {
    load: async () => {
      const m = await import('./commands/taskrunner.ts');
      return { run: m.taskrunnerCommand, help: m.TASKRUNNER_HELP };
    },
    summary: "the Java Task Runner's command line (--config credentials.json --workerGroup=…)",
  },
  emulator: {
    load: async () => {
      const m = await import('./commands/emulator.ts');
      return { run: m.emulatorCommand, help: m.EMULATOR_HELP };
    },
    summary: 'run a local Data Pipeline service',
  },
  demo: {
    load: async () => {
      const m = await import('./commands/demo.ts');
      return { run: m.demoCommand, help: m.DEMO_HELP };
    },
    summary: 'emulator + sample pipeline + runner fleet, with a live view',
  },
  status: {
    load: async () => {
      const m = await import('./commands/status.ts');
      return { run: m.statusCommand, help: m.STATUS_HELP };
    },
    summary: 'print the fleet from Redis (lease holders, instances, tasks)',
  },
  pipeline: {
    load: async () => {
      const m = await import('./commands/pipeline.ts');
      return { run: m.pipelineCommand, help: m.PIPELINE_HELP };
    },
    summary: 'create, put, activate and inspect pipelines',
  },
  enqueue: {
    load: async () => {
      const m = await import('./commands/enqueue.ts');
      return { run: m.enqueueCommand, help: m.ENQUEUE_HELP };
    },
    summary: 'add jobs to a BullMQ queue (one job or a pipeline definition)',
  },
  migrate: {
    load: async () => {
      const m = await import('./commands/migrate.ts');
      return { run: m.migrateCommand, help: m.MIGRATE_HELP };
    },
    summary: 'translate a Data Pipeline definition into a Step Functions state machine',
  },
  manifests: {
    load: async () => {
      const m = await import('./commands/manifests.ts');
      return { run: m.manifestsCommand, help: m.MANIFESTS_HELP };
    },
    summary: 'render Kubernetes manifests for a fleet',
  },
};

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
    const help = topic && COMMANDS[topic] ? (await COMMANDS[topic].load()).help : usage();
    host.stdout(help + '\n');
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    host.stdout(`tasklane ${VERSION} (${host.runtime.name} ${host.runtime.version})\n`);
    return ExitCode.Ok;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(name, `unknown command "${name}"\n\n${usage()}`);
    return await (await command.load()).run(rest, host);
  } catch (caught) {
    const error = missingPeer(caught, name) ?? caught;
    // Messages may quote what the operator typed (a Redis URL with its password): redact before printing.
    if (isUsageError(error)) {
      host.stderr(`tasklane: ${redactText(error.message)}\n`);
      return ExitCode.Usage;
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    host.stderr(`tasklane: fatal: ${redactText(text)}\n`);
    return ExitCode.Fatal;
  }
}

/** Usage errors of the CLI and invalid options of any Tasklane package: exit 2. */
function isUsageError(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    (TasklaneError.is(error) && (error.code === 'TL_USAGE' || error.code === 'TL_INVALID_OPTION'))
  );
}
