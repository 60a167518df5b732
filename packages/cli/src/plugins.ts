import { HandlerRegistry, type LoadedModule } from '@tasklane/core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './errors.ts';
import { importPeer } from './peer-import.ts';

/**
 * First-party plugins resolvable by name from anywhere, not only from the working directory: the shell
 * handlers are a dependency of the CLI; the SQL handlers are an optional peer (pg, mysql2 and the RDS
 * and Redshift clients would double what every runner installs), found when installed beside tasklane.
 * Each is imported only when named in --plugin, so a runner without SQL never loads pg or mysql2.
 */
const BUNDLED: Record<string, () => Promise<Record<string, unknown>>> = {
  '@tasklane/handlers-shell': () => import('@tasklane/handlers-shell'),
  '@tasklane/handlers-sql': () =>
    importPeer(
      '@tasklane/handlers-sql',
      '--plugin @tasklane/handlers-sql',
      () => import('@tasklane/handlers-sql'),
    ),
};

function looksLikePath(spec: string): boolean {
  return (
    spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || /\.(m?[jt]s)$/.test(spec)
  );
}

async function importPlugin(spec: string, cwd: string): Promise<Record<string, unknown>> {
  if (looksLikePath(spec)) {
    const path = spec.startsWith('file:')
      ? new URL(spec).pathname
      : isAbsolute(spec)
        ? spec
        : resolve(cwd, spec);
    if (!existsSync(path)) throw new UsageError('--plugin', `--plugin: file not found: ${path}`);
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  }
  // A package installed in the operator's project wins over the bundled copy.
  try {
    const resolved = createRequire(resolve(cwd, 'package.json')).resolve(spec);
    return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  } catch (error) {
    const bundled = BUNDLED[spec];
    if (bundled) return bundled();
    if (
      (error as { code?: string }).code === 'MODULE_NOT_FOUND' ||
      (error as { code?: string }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'
    ) {
      throw new UsageError(
        '--plugin',
        `--plugin: cannot find package "${spec}" from ${cwd}; install it or pass a file path`,
      );
    }
    throw new UsageError('--plugin', `--plugin: cannot load "${spec}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Loads every plugin into a new registry; a plugin that provides no handler is a usage error. */
export async function loadPlugins(
  specs: readonly string[],
  cwd: string,
  registry = new HandlerRegistry(),
): Promise<{ registry: HandlerRegistry; loaded: Array<LoadedModule & { spec: string }> }> {
  const loaded: Array<LoadedModule & { spec: string }> = [];
  for (const spec of specs) {
    let moduleExports: Record<string, unknown>;
    try {
      moduleExports = await importPlugin(spec, cwd);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError('--plugin', `--plugin: "${spec}" failed to load: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let result: LoadedModule;
    try {
      result = await registry.loadModule(moduleExports, spec);
    } catch (error) {
      throw new UsageError('--plugin', `--plugin: "${spec}": ${(error as Error).message}`, { cause: error });
    }
    if (result.handlers.length === 0) {
      throw new UsageError(
        '--plugin',
        `--plugin: "${spec}" exports no @TaskHandler classes (a plugin must provide at least one handler)`,
      );
    }
    loaded.push({ ...result, spec });
  }
  return { registry, loaded };
}
