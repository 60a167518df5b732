// The SQL handlers as a user adds them to a scaffolded runner: `npm install @tasklane/handlers-sql` (or
// `bun add`) beside tasklane, then `tasklane run --plugin @tasklane/handlers-sql` from a directory that is
// not the project (so the name resolves through the CLI's own lookup, not the working directory), running
// a SqlActivity and a CopyActivity against the real PostgreSQL.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start } from './proc.mjs';

const PG_URL = process.env.TASKLANE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const WORKER_GROUP = 'wg-sql';

/** Runtimes whose project can take the plugin here; Deno's takes tarballs only as vendored links. */
export const SQL_RUNTIMES = new Set(['node', 'bun']);

/**
 * What `npm install @tasklane/handlers-sql` does against the registry: the package becomes a dependency
 * and is installed. Here it is the tarball, under the same spec the scaffold's `overrides` gives it (npm
 * refuses a direct dependency whose spec differs from its override, even one naming the same file).
 */
function addDependency(dir, packs, tarball) {
  const file = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const override = manifest.overrides?.['@tasklane/handlers-sql'];
  manifest.dependencies['@tasklane/handlers-sql'] =
    typeof override === 'string' ? override : `file:${join(packs, tarball)}`;
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
}

function definition(table, outFile) {
  const url = new URL(PG_URL);
  const database = url.pathname.slice(1) || 'postgres';
  return {
    objects: [
      {
        id: 'Default',
        name: 'Default',
        scheduleType: 'ondemand',
        workerGroup: WORKER_GROUP,
        maximumRetries: '0',
      },
      {
        id: 'Pg',
        name: 'Pg',
        type: 'JdbcDatabase',
        connectionString: `jdbc:postgresql://${url.hostname}:${url.port || 5432}/${database}`,
        jdbcDriverClass: 'org.postgresql.Driver',
        username: decodeURIComponent(url.username || 'postgres'),
        ...(url.password ? { '*password': decodeURIComponent(url.password) } : {}),
      },
      {
        id: 'Create',
        name: 'Create',
        type: 'SqlActivity',
        parent: { ref: 'Default' },
        database: { ref: 'Pg' },
        script: `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} AS SELECT 'Hello from PostgreSQL'::text AS greeting, 42 AS n`,
      },
      { id: 'Rows', name: 'Rows', type: 'SqlDataNode', database: { ref: 'Pg' }, table },
      { id: 'File', name: 'File', type: 'S3DataNode', filePath: outFile },
      {
        id: 'Export',
        name: 'Export',
        type: 'CopyActivity',
        parent: { ref: 'Default' },
        dependsOn: { ref: 'Create' },
        input: { ref: 'Rows' },
        output: { ref: 'File' },
      },
      {
        id: 'Drop',
        name: 'Drop',
        type: 'SqlActivity',
        parent: { ref: 'Default' },
        dependsOn: { ref: 'Export' },
        database: { ref: 'Pg' },
        script: `DROP TABLE ${table}`,
      },
    ],
  };
}

/**
 * Steps run while the project's emulator is up at `endpoint`: install the plugin's tarball, create and
 * activate the SQL pipeline, run the plugin from `outside`, wait for FINISHED, check the exported file.
 */
export async function sqlPluginSteps({
  runtime,
  rt,
  dir,
  outside,
  packs,
  endpoint,
  localEnv,
  run,
  tl,
  step,
  waitFor,
}) {
  const tarball = readdirSync(packs).find((f) => /^tasklane-handlers-sql-.*\.tgz$/.test(f));
  if (!tarball) throw new Error('@tasklane/handlers-sql was not packed');
  await step('sql: install plugin', () => {
    addDependency(dir, packs, tarball);
    return run(rt.install);
  });
  const outFile = join(dir, 'out', 'sql.csv');
  writeFileSync(
    join(dir, 'sql-pipeline.json'),
    JSON.stringify(definition(`tl_consumer_${runtime}_${process.pid}`, outFile), null, 2),
  );
  const pipelineId = await step('sql: pipeline', async () => {
    const out = await run(
      tl(['pipeline', 'create', '--endpoint', endpoint, '--name', `consumer-sql-${runtime}`]).concat([
        '--definition',
        'sql-pipeline.json',
        '--activate',
      ]),
      dir,
      localEnv,
    );
    return JSON.parse(out.slice(out.indexOf('{'))).pipelineId;
  });
  const bin = join(dir, rt.serve[0]);
  const argv = [
    bin,
    ...rt.serve.slice(1),
    'run',
    '--worker-group',
    WORKER_GROUP,
    '--plugin',
    '@tasklane/handlers-sql',
    '--endpoint',
    endpoint,
  ];
  const runner = start(argv[0], argv.slice(1), { cwd: outside, env: localEnv });
  try {
    await step('sql: FINISHED', () =>
      waitFor(
        'the SQL pipeline to finish',
        async () => {
          const out = await run(
            tl(['pipeline', 'status', '--endpoint', endpoint, '--pipeline-id', pipelineId]),
            dir,
            localEnv,
          );
          const rows = JSON.parse(out.slice(out.indexOf('[')));
          const bad = rows.find((r) => ['FAILED', 'CANCELED', 'CASCADE_FAILED'].includes(r.status));
          if (bad)
            throw new Error(`instance ${bad.id} is ${bad.status}: ${bad.error ?? ''}\n${runner.output()}`);
          // Create, Export and Drop, each FINISHED (a FAILED one threw above).
          return rows.length >= 3 && rows.every((r) => r.status === 'FINISHED');
        },
        90_000,
      ).catch((error) => {
        throw new Error(`${error.message}\n${runner.output()}`);
      }),
    );
    await step('sql: exported rows', () => {
      const text = readFileSync(outFile, 'utf8');
      if (text !== 'Hello from PostgreSQL,42\n') throw new Error(`out/sql.csv is ${JSON.stringify(text)}`);
    });
  } finally {
    const exit = await runner.stop('SIGTERM', 30_000);
    if (exit.code !== 0) console.log(`sql runner ended ${exit.code ?? exit.signal}\n${runner.output()}`);
  }
}
