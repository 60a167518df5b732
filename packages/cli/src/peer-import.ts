import { UsageError } from './errors.ts';

function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : '';
  const code = typeof e?.code === 'string' ? e.code : '';
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /cannot find (module|package)|could not resolve|module not found/i.test(message);
  // Only the package itself: a broken dependency inside it is a real error, reported as such.
  return (
    notFound &&
    (message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(name + '/'))
  );
}

/**
 * Imports an optional peer dependency; when it is not installed the command stops with exit 2 and says
 * which package to install for which option, instead of a module-not-found stack. `load` is the literal
 * `import()` where one is possible, so bundlers and dependency checkers see it.
 */
export async function importPeer<T>(
  name: string,
  option: string,
  load: () => Promise<unknown> = () => import(name),
): Promise<T> {
  try {
    return (await load()) as T;
  } catch (error) {
    if (!isMissing(error, name)) throw error;
    throw new UsageError(
      option,
      `${option} needs the optional package ${name}: install it beside tasklane (npm install ${name})`,
      {
        cause: error,
      },
    );
  }
}

/** The CLI's optional peer dependencies and what needs each (see the package README). */
const OPTIONAL_PEERS: Record<string, string> = {
  '@tasklane/emulator': 'the emulator and demo commands',
  '@tasklane/source-bullmq': '--source bullmq, the /queues dashboard and enqueue',
  'pino-pretty': '--log-format pretty',
  yaml: 'YAML config and values files and manifests',
};

/**
 * A command that failed because an optional peer is not installed, as a usage error (exit 2) naming the
 * package to install; undefined for any other error.
 */
export function missingPeer(error: unknown, command: string | undefined): UsageError | undefined {
  for (const [name, usedBy] of Object.entries(OPTIONAL_PEERS)) {
    if (!isMissing(error, name)) continue;
    return new UsageError(
      name,
      `${command ? `${command}: ` : ''}needs the optional package ${name} (for ${usedBy}): install it beside tasklane (npm install ${name})`,
      { cause: error },
    );
  }
  return undefined;
}
