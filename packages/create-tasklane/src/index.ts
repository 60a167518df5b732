/**
 * @module create-tasklane
 *
 * Scaffolds a Tasklane runner project from the templates shipped in this package (no network): one
 * TypeScript handler class, its unit test with @tasklane/testing, an end-to-end test against the
 * emulator, a Dockerfile, manifest values and build/test/run scripts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageJson, tokens, type PackageManager, type ProjectSpec, type Runtime } from './project.ts';
import { unpackTarball } from './untar.ts';

export type { PackageManager, ProjectSpec, Runtime } from './project.ts';

/** A scaffold option that cannot be used; `option` names the flag. */
export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
  readonly code = 'CT_INVALID_OPTION';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** Options of {@link scaffold}; only `directory` is required. */
export interface ScaffoldOptions {
  /** Where to create the project; must not exist or be empty. */
  directory: string;
  /** @default 'node' */
  runtime?: Runtime;
  /** @default the runtime's own (bun, deno), npm for Node */
  packageManager?: PackageManager;
  /** package.json name. @default the directory's name */
  name?: string;
  /** @default 'GreetingActivity' */
  activityType?: string;
  /** @default 'wg-1' */
  workerGroup?: string;
  /** @default `^` + this package's version (the @tasklane packages are released together) */
  tasklaneVersion?: string;
  /** Package name → install spec used instead of the registry, e.g. tarballs of a release candidate. */
  sources?: Record<string, string>;
}

const RUNTIMES: readonly Runtime[] = ['node', 'bun', 'deno'];
const MANAGERS: readonly PackageManager[] = ['npm', 'pnpm', 'bun', 'deno'];
const TEMPLATES = fileURLToPath(new URL('../templates', import.meta.url));
// npm drops .gitignore from published packages, so the template ships it without the dot.
const RENAMES: Record<string, string> = { gitignore: '.gitignore' };

function ownVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Checks the options and fills in the defaults. */
export function resolveSpec(options: ScaffoldOptions): ProjectSpec {
  const runtime = options.runtime ?? 'node';
  if (!RUNTIMES.includes(runtime)) {
    throw new ScaffoldError(
      '--runtime',
      `--runtime must be one of ${RUNTIMES.join(', ')} (got "${runtime}")`,
    );
  }
  const packageManager = options.packageManager ?? (runtime === 'node' ? 'npm' : runtime);
  if (!MANAGERS.includes(packageManager)) {
    throw new ScaffoldError(
      '--package-manager',
      `--package-manager must be one of ${MANAGERS.join(', ')} (got "${packageManager}")`,
    );
  }
  const name = options.name ?? basename(resolve(options.directory));
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/.test(name)) {
    throw new ScaffoldError('--name', `--name "${name}" is not a valid package name (lower case, no spaces)`);
  }
  const activityType = options.activityType ?? 'GreetingActivity';
  if (!/^[A-Za-z][A-Za-z0-9]*Activity$/.test(activityType)) {
    throw new ScaffoldError(
      '--activity-type',
      `--activity-type "${activityType}" must be letters and digits ending in "Activity" (the service's rule)`,
    );
  }
  const workerGroup = options.workerGroup ?? 'wg-1';
  if (!/^[\w.-]+$/.test(workerGroup)) {
    throw new ScaffoldError(
      '--worker-group',
      `--worker-group "${workerGroup}" may use letters, digits, _ . -`,
    );
  }
  return {
    name,
    runtime,
    packageManager,
    activityType,
    workerGroup,
    tasklaneVersion: options.tasklaneVersion ?? `^${ownVersion()}`,
    ...(options.sources ? { sources: options.sources } : {}),
  };
}

function templateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? templateFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Creates the project and returns the files written, relative to the directory. */
export function scaffold(options: ScaffoldOptions): string[] {
  const spec = resolveSpec(options);
  const target = resolve(options.directory);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new ScaffoldError('directory', `${target} exists and is not empty; choose a new directory`);
  }
  const values = tokens(spec);
  const fill = (text: string) => text.replace(/__[A-Z_]+__/g, (token) => values[token] ?? token);
  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), text);
    written.push(path);
  };
  for (const root of [join(TEMPLATES, 'common'), join(TEMPLATES, spec.runtime)]) {
    for (const file of templateFiles(root)) {
      const path = relative(root, file);
      write(RENAMES[path] ?? path, fill(readFileSync(file, 'utf8')));
    }
  }
  write('package.json', JSON.stringify(packageJson(spec), null, 2) + '\n');
  if (spec.packageManager === 'deno' && spec.sources) linkForDeno(target, spec.sources, written);
  return written.sort();
}

/**
 * deno install links a `file:` dependency as a directory and takes only versions in overrides, so local
 * tarballs are unpacked under vendor/ and listed as deno.json "links", which stand in for those packages
 * wherever the graph needs them.
 */
function linkForDeno(target: string, sources: Readonly<Record<string, string>>, written: string[]): void {
  const links: string[] = [];
  for (const [name, spec] of Object.entries(sources)) {
    if (!spec.startsWith('file:') || !spec.endsWith('.tgz')) continue;
    const dir = join('vendor', name.replace(/^@/, '').replace('/', '__'));
    unpackTarball(spec.slice('file:'.length), join(target, dir));
    links.push(`./${dir.split(sep).join('/')}`);
  }
  const file = join(target, 'deno.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...config, links: links.sort() }, null, 2) + '\n');
  if (!written.includes('deno.json')) written.push('deno.json');
}
