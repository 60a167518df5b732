/** What a scaffolded project runs on and installs with. */
export type Runtime = 'node' | 'bun' | 'deno';
export type PackageManager = 'npm' | 'pnpm' | 'bun' | 'deno';

/** Everything that varies between scaffolded projects. */
export interface ProjectSpec {
  readonly name: string;
  readonly runtime: Runtime;
  readonly packageManager: PackageManager;
  readonly activityType: string;
  readonly workerGroup: string;
  /** Version range of the @tasklane packages, e.g. `^0.1.0`. */
  readonly tasklaneVersion: string;
  /** Package name → install spec, replacing the registry (e.g. `file:` tarballs of a release candidate). */
  readonly sources?: Readonly<Record<string, string>>;
}

const LOCAL = 'AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local';
const ENDPOINT = 'http://127.0.0.1:8089';
// Pinned like the rest of Tasklane: the versions its own build and tests use.
const TOOL_VERSIONS = { typescript: '6.0.3', '@types/node': '20.19.0', yaml: '2.9.1' } as const;

function tasklaneCommand(runtime: Runtime): string {
  // Deno runs the runner's npm package directly; Node and Bun use the installed bin.
  return runtime === 'deno' ? 'deno run -A npm:@tasklane/runner-deno' : 'tasklane';
}

function plugin(runtime: Runtime): string {
  // Bun and Deno load the TypeScript handler as it is; Node loads tsc's output.
  return runtime === 'node' ? './dist/src/handler.js' : './src/handler.ts';
}

function scripts(spec: ProjectSpec): Record<string, string> {
  const tl = tasklaneCommand(spec.runtime);
  const run = `${tl} run --worker-group ${spec.workerGroup} --plugin ${plugin(spec.runtime)}`;
  const testFiles = ['handler', 'e2e'].map((f) => `dist/test/${f}.test.js`).join(' ');
  return {
    build: { node: 'tsc -p tsconfig.json', bun: 'tsc -p tsconfig.json', deno: 'deno check src test' }[
      spec.runtime
    ],
    test: { node: `node --test ${testFiles}`, bun: 'bun test', deno: 'deno test -A' }[spec.runtime],
    // A short long poll, so a runner stopped with Ctrl-C drains in seconds instead of 90 s.
    emulator: `${tl} emulator --long-poll 5s`,
    pipeline: `${LOCAL} ${tl} pipeline create --endpoint ${ENDPOINT} --name ${spec.name} --definition pipeline.json --activate`,
    status: `${LOCAL} ${tl} pipeline status --endpoint ${ENDPOINT} --pipeline-id`,
    dev: `${LOCAL} ${run} --endpoint ${ENDPOINT}`,
    start: run,
    manifests: `${tl} manifests --values deploy/values.yaml`,
  };
}

/** The scaffolded project's package.json. */
export function packageJson(spec: ProjectSpec): Record<string, unknown> {
  // deno install takes local packages as deno.json "links" (see scaffold), not as file: specs.
  const sources = spec.packageManager === 'deno' ? undefined : spec.sources;
  const source = (name: string) => sources?.[name] ?? spec.tasklaneVersion;
  const runner = `@tasklane/runner-${spec.runtime}`;
  const dev: Record<string, string> = {
    '@tasklane/emulator': source('@tasklane/emulator'),
    '@tasklane/testing': source('@tasklane/testing'),
    // The packages' declarations reference Node's types, so every runtime's type check needs them.
    '@types/node': TOOL_VERSIONS['@types/node'],
    yaml: TOOL_VERSIONS.yaml,
  };
  if (spec.runtime !== 'deno') dev.typescript = TOOL_VERSIONS.typescript;
  const pkg: Record<string, unknown> = {
    name: spec.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: scripts(spec),
    dependencies: { '@tasklane/core': source('@tasklane/core'), [runner]: source(runner) },
    devDependencies: dev,
  };
  // Transitive @tasklane packages must come from the same place as the direct ones.
  if (sources && Object.keys(sources).length > 0) {
    if (spec.packageManager === 'pnpm') pkg.pnpm = { overrides: { ...sources } };
    else pkg.overrides = { ...sources };
  }
  return pkg;
}

/** The placeholders the templates use. */
export function tokens(spec: ProjectSpec): Record<string, string> {
  const run = { npm: 'npm run', pnpm: 'pnpm run', bun: 'bun run', deno: 'deno task' }[spec.packageManager];
  const install = {
    npm: 'npm install',
    pnpm: 'pnpm install',
    bun: 'bun install',
    deno: 'deno install --allow-scripts',
  }[spec.packageManager];
  return {
    __NAME__: spec.name,
    __ACTIVITY_TYPE__: spec.activityType,
    __WORKER_GROUP__: spec.workerGroup,
    __RUNTIME_NAME__: { node: 'Node', bun: 'Bun', deno: 'Deno' }[spec.runtime],
    __RUN__: run,
    __INSTALL__: install,
    __BUILD_WHAT__: spec.runtime === 'node' ? 'tsc to dist/' : 'type-check (the runtime runs the .ts files)',
    __DOCKER_INSTALL__:
      spec.packageManager === 'pnpm' ? 'npm install -g pnpm && pnpm install' : 'npm install',
  };
}
