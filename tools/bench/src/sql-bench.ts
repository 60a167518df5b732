/**
 * CopyActivity throughput through a real runner against `psql \copy` on the same data in the same run:
 * 1,000,000 rows S3 → PostgreSQL and PostgreSQL → S3. The emulator (Data Pipeline + S3) and the runner
 * are separate processes; the runner's RSS is sampled during each copy to show memory stays flat.
 *
 * Two baselines: psql with a local file, and psql moving the same bytes through `curl` to the same S3
 * endpoint (the emulator's), so the S3 store's own cost is in both sides of the second ratio.
 *
 * Run alone: `node tools/bench/dist/sql-bench.js [--rows N]` (after a build); writes docs/bench/sql.json.
 * Needs `psql` (or TASKLANE_PSQL), `curl` and the PostgreSQL of TASKLANE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  DataPipelineClient,
  PutPipelineDefinitionCommand,
} from '@aws-sdk/client-data-pipeline';
import { freePort, spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, TASKLANE_BIN } from './procs.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const PG_URL = process.env.TASKLANE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The psql client to compare with; TASKLANE_PSQL names one that is not on the PATH. */
const PSQL = process.env.TASKLANE_PSQL ?? 'psql';
const AWS = { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' };

export interface SqlBenchOptions {
  rows: number;
  /** Each direction is measured this many times, runner and psql alternating. */
  rounds: number;
}

interface DirectionResult {
  rows: number;
  bytes: number;
  /** `psql \copy` to or from a local file. */
  psqlSeconds: number[];
  /** `psql \copy` through `curl` to or from the same S3 endpoint the runner uses. */
  psqlViaS3Seconds: number[];
  runnerSeconds: number[];
  /** psql's best time (local file) over the runner's best: 1 means as fast as psql. */
  throughputRatio: number;
  /** The same against psql moving the bytes through the same S3 endpoint. */
  throughputRatioSameS3: number;
  runnerRowsPerSecond: number;
  psqlRowsPerSecond: number;
  /** Per round: peak runner RSS during the copy minus its RSS just before it. */
  runnerRssGrowthPerRoundMb: number[];
  /** The largest of {@link runnerRssGrowthPerRoundMb}. */
  runnerRssGrowthMb: number;
}

function psql(url: string, command: string): void {
  execFileSync(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url, '-c', command], { stdio: 'pipe' });
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return line ? Number(line[1]) / 1024 : 0;
}

async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function startEmulator(): Promise<{ endpoint: string; proc: GroupProcess }> {
  const port = await freePort();
  const proc = spawnGroup(
    TASKLANE_BIN,
    ['emulator', '--port', String(port), '--long-poll', '1s', '--buckets', 'bench'],
    {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
    try {
      if ((await fetch(`${endpoint}/_tasklane/health`)).ok) return { endpoint, proc };
    } catch {}
    if (Date.now() > deadline) throw new Error(`emulator did not start: ${proc.output()}`);
  }
}

/** Runs one CopyActivity through the runner and returns its wall time from activation to FINISHED. */
async function runCopy(
  client: DataPipelineClient,
  endpoint: string,
  objects: Array<Record<string, unknown>>,
  onTick: () => void,
): Promise<number> {
  const { pipelineId } = await client.send(
    new CreatePipelineCommand({ name: `sql-bench-${Date.now()}`, uniqueId: `u-${Math.random()}` }),
  );
  const pipelineObjects = objects.map((o) => ({
    id: String(o.id),
    name: String(o.id),
    fields: Object.entries(o)
      .filter(([k]) => k !== 'id')
      .map(([key, v]) =>
        typeof v === 'object' && v !== null
          ? { key, refValue: (v as { ref: string }).ref }
          : { key, stringValue: String(v) },
      ),
  }));
  const put = await client.send(new PutPipelineDefinitionCommand({ pipelineId, pipelineObjects }));
  if (put.errored) throw new Error(`definition rejected: ${JSON.stringify(put.validationErrors)}`);
  const t0 = performance.now();
  await client.send(new ActivatePipelineCommand({ pipelineId }));
  for (;;) {
    onTick();
    const tasks = (await (await fetch(`${endpoint}/_tasklane/observations`)).json()).tasks as Record<
      string,
      { pipelineId: string; terminalStatus?: string; errorMessage?: string }
    >;
    const task = Object.values(tasks).find((t) => t.pipelineId === pipelineId && t.terminalStatus);
    if (task) {
      if (task.terminalStatus !== 'FINISHED')
        throw new Error(`copy ${task.terminalStatus}: ${task.errorMessage}`);
      return (performance.now() - t0) / 1000;
    }
    await sleep(25);
  }
}

export async function benchSql(options: SqlBenchOptions): Promise<Record<string, DirectionResult>> {
  const db = `tl_sql_bench_${process.pid}`;
  psql(PG_URL, `CREATE DATABASE ${db}`);
  const dbUrl = new URL(PG_URL);
  dbUrl.pathname = `/${db}`;
  const url = dbUrl.href;
  const dir = mkdtempSync(join(tmpdir(), 'tl-sql-bench-'));
  const file = join(dir, 'rows.csv');
  let emulator: { endpoint: string; proc: GroupProcess } | undefined;
  let runner: GroupProcess | undefined;
  try {
    psql(url, `CREATE TABLE src (id int, name text, amount numeric(12,2), created timestamp, note text)`);
    psql(
      url,
      `INSERT INTO src SELECT g, 'customer ' || g, (g % 100000) / 100.0, timestamp '2024-01-01' + g * interval '1 second', CASE WHEN g % 7 = 0 THEN NULL ELSE md5(g::text) END FROM generate_series(1, ${options.rows}) g`,
    );
    psql(url, 'CREATE TABLE dst (LIKE src)');
    psql(url, 'VACUUM ANALYZE src');
    emulator = await startEmulator();
    const group = 'sql-bench';
    runner = spawnGroup(
      TASKLANE_BIN,
      ['run', '--worker-group', group, '--plugin', '@tasklane/handlers-sql', '--log-level', 'warn'],
      {
        cwd: join(root, 'packages/handlers-sql'),
        env: {
          ...process.env,
          ...AWS,
          NODE_NO_WARNINGS: '1',
          TASKLANE_ENDPOINT: emulator.endpoint,
          AWS_ENDPOINT_URL_S3: emulator.endpoint,
        },
      },
    );
    const client = new DataPipelineClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const database = {
      id: 'Db',
      type: 'JdbcDatabase',
      connectionString: `jdbc:postgresql://${dbUrl.hostname}:${dbUrl.port || 5432}/${db}`,
      jdbcDriverClass: 'org.postgresql.Driver',
      username: decodeURIComponent(dbUrl.username || 'postgres'),
      ...(dbUrl.password ? { '*password': decodeURIComponent(dbUrl.password) } : {}),
    };
    const definition = (input: string, output: string) => [
      { id: 'Default', scheduleType: 'ondemand', workerGroup: group, maximumRetries: '0' },
      database,
      { id: 'Table', type: 'SqlDataNode', database: { ref: 'Db' }, table: input === 'Table' ? 'src' : 'dst' },
      { id: 'Object', type: 'S3DataNode', filePath: 's3://bench/rows.csv' },
      {
        id: 'Copy',
        type: 'CopyActivity',
        parent: { ref: 'Default' },
        input: { ref: input },
        output: { ref: output },
      },
    ];
    // Warm the runner on both paths with a copy big enough for multipart parts, so one-off costs (lazy
    // imports, the heap growing to its working size) are not counted as growth of the measured copies.
    psql(url, 'CREATE TABLE warm AS SELECT * FROM src LIMIT 200000');
    const warm = (o: Record<string, unknown>) =>
      o.id === 'Table'
        ? { ...o, table: 'warm' }
        : o.id === 'Object'
          ? { ...o, filePath: 's3://bench/warm.csv' }
          : o;
    await runCopy(client, emulator.endpoint, definition('Table', 'Object').map(warm), () => {});
    psql(url, 'TRUNCATE warm');
    await runCopy(client, emulator.endpoint, definition('Object', 'Table').map(warm), () => {});

    const measure = async (direction: 'export' | 'import') => {
      const psqlSeconds: number[] = [];
      const psqlViaS3Seconds: number[] = [];
      const runnerSeconds: number[] = [];
      const object = `${emulator!.endpoint}/bench/psql.csv`;
      const growth: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        if (direction === 'export') {
          psqlSeconds.push(await timed(() => psql(url, `\\copy (SELECT * FROM src) TO '${file}' CSV`)));
          psqlViaS3Seconds.push(
            await timed(() =>
              psql(url, `\\copy (SELECT * FROM src) TO PROGRAM 'curl -sf -T - ${object}' CSV`),
            ),
          );
        } else {
          psql(url, 'TRUNCATE dst');
          psqlSeconds.push(await timed(() => psql(url, `\\copy dst FROM '${file}' CSV`)));
          psql(url, 'TRUNCATE dst');
          psqlViaS3Seconds.push(
            await timed(() => psql(url, `\\copy dst FROM PROGRAM 'curl -sf ${object}' CSV`)),
          );
          psql(url, 'TRUNCATE dst');
        }
        await sleep(500);
        const idle = rssMb(runner!.pid);
        let peak = idle;
        const objects =
          direction === 'export' ? definition('Table', 'Object') : definition('Object', 'Table');
        runnerSeconds.push(
          await runCopy(client, emulator!.endpoint, objects, () => {
            peak = Math.max(peak, rssMb(runner!.pid));
          }),
        );
        growth.push(Number((peak - idle).toFixed(1)));
      }
      const best = (xs: number[]) => Math.min(...xs);
      return {
        rows: options.rows,
        bytes: statSync(file).size,
        psqlSeconds,
        psqlViaS3Seconds,
        runnerSeconds,
        throughputRatio: Number((best(psqlSeconds) / best(runnerSeconds)).toFixed(3)),
        throughputRatioSameS3: Number((best(psqlViaS3Seconds) / best(runnerSeconds)).toFixed(3)),
        runnerRowsPerSecond: Math.round(options.rows / best(runnerSeconds)),
        psqlRowsPerSecond: Math.round(options.rows / best(psqlSeconds)),
        runnerRssGrowthPerRoundMb: growth,
        runnerRssGrowthMb: Math.max(...growth),
      };
    };
    const pgToS3 = await measure('export');
    const s3ToPg = await measure('import');
    const counted = execFileSync(PSQL, ['-X', '-At', url, '-c', 'SELECT count(*) FROM dst'], {
      encoding: 'utf8',
    });
    if (Number(counted.trim()) !== options.rows)
      throw new Error(`dst has ${counted.trim()} rows, expected ${options.rows}`);
    client.destroy();
    return { pgToS3, s3ToPg };
  } finally {
    await runner?.stop(5000);
    await emulator?.proc.stop(5000);
    rmSync(dir, { recursive: true, force: true });
    psql(PG_URL, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}

/**
 * The bench's `sql` section: 1,000,000 rows each way (100,000 with `--quick`); a full run also writes
 * docs/bench/sql.json, the figures the docs quote.
 */
export async function benchSqlSection(quick: boolean, rows = quick ? 100_000 : 1_000_000) {
  // The machine is shared: its load average before and after says how much the figures can be trusted.
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const result = await benchSql({ rows, rounds: quick ? 1 : 3 });
  if (rows === 1_000_000) {
    const loadAverage = { before: loadBefore, after: loadavg().map((l) => Number(l.toFixed(2))) };
    const machine = { node: process.version, cpus: cpus().length, loadAverage };
    const file = { machine, finishedAt: new Date().toISOString(), ...result };
    writeFileSync(join(root, 'docs/bench/sql.json'), JSON.stringify(file, null, 2) + '\n');
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rowsArg = process.argv.indexOf('--rows');
  const rows = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;
  console.log(JSON.stringify(await benchSqlSection(false, rows), null, 2));
  process.exit(0);
}
