/** The create-tasklane command line: flags only, never a prompt. */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveSpec, scaffold, ScaffoldError, type PackageManager, type Runtime } from './index.ts';

export const USAGE = `Usage: create-tasklane <directory> [options]

  --runtime node|bun|deno            what runs the project (default node)
  --package-manager npm|pnpm|bun|deno  what installs it (default: the runtime's own; npm or pnpm for Node,
                                     from the command that started this one)
  --name NAME                        package name (default: the directory's name)
  --activity-type TYPE               the handler's activity type (default GreetingActivity)
  --worker-group NAME                the worker group the runner serves (default wg-1)
  --tasklane-version RANGE           version range of the @tasklane packages (default ^<this version>)
  --tarballs DIR                     install @tasklane packages from DIR/tasklane-<name>-<version>.tgz
                                     (pnpm pack output) instead of the registry, e.g. to try a release
  -h, --help

  npm create tasklane@latest my-runner -- --runtime bun
  bun create tasklane my-runner --runtime bun
  deno run -A npm:create-tasklane my-runner --runtime deno`;

/** `@tasklane/<name>` → `file:` spec of each tarball in `dir`. */
export function tarballSources(dir: string): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const file of readdirSync(dir)) {
    const match = /^tasklane-(.+)-\d+\.\d+\.\d+(?:-[\w.]+)?\.tgz$/.exec(file);
    if (match) sources[`@tasklane/${match[1]}`] = `file:${resolve(dir, file)}`;
  }
  if (Object.keys(sources).length === 0) {
    throw new ScaffoldError('--tarballs', `--tarballs ${dir}: no tasklane-<name>-<version>.tgz files there`);
  }
  return sources;
}

function defaultManager(runtime: string | undefined): PackageManager | undefined {
  if (runtime !== undefined && runtime !== 'node') return undefined;
  return (process.env.npm_config_user_agent ?? '').startsWith('pnpm/') ? 'pnpm' : undefined;
}

/** Runs create-tasklane; returns the exit code (2 for a usage error, naming the option). */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        runtime: { type: 'string' },
        'package-manager': { type: 'string' },
        name: { type: 'string' },
        'activity-type': { type: 'string' },
        'worker-group': { type: 'string' },
        'tasklane-version': { type: 'string' },
        tarballs: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [directory, ...extra] = positionals;
    if (directory === undefined) throw new ScaffoldError('directory', 'give the directory to create');
    if (extra.length > 0) throw new ScaffoldError(extra[0]!, `unexpected argument "${extra[0]}"`);
    const options = {
      directory,
      ...(values.runtime !== undefined ? { runtime: values.runtime as Runtime } : {}),
      ...(values['package-manager'] !== undefined
        ? { packageManager: values['package-manager'] as PackageManager }
        : defaultManager(values.runtime)
          ? { packageManager: defaultManager(values.runtime)! }
          : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values['activity-type'] !== undefined ? { activityType: values['activity-type'] } : {}),
      ...(values['worker-group'] !== undefined ? { workerGroup: values['worker-group'] } : {}),
      ...(values['tasklane-version'] !== undefined ? { tasklaneVersion: values['tasklane-version'] } : {}),
      ...(values.tarballs !== undefined ? { sources: tarballSources(values.tarballs) } : {}),
    };
    const spec = resolveSpec(options);
    const files = scaffold(options);
    const run = { npm: 'npm run', pnpm: 'pnpm run', bun: 'bun run', deno: 'deno task' }[spec.packageManager];
    const install =
      spec.packageManager === 'deno' ? 'deno install --allow-scripts' : `${spec.packageManager} install`;
    process.stdout.write(
      `Created ${spec.name} (${spec.runtime}, ${files.length} files) in ${resolve(directory)}\n\n` +
        `  cd ${directory}\n  ${install}\n  ${run} build && ${run} test\n\nREADME.md has the rest.\n`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`create-tasklane: ${message}\n\n${USAGE}\n`);
    return error instanceof ScaffoldError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      ? 2
      : 1;
  }
}
