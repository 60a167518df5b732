import { Runner } from '@tasklane/core';
import { EMULATOR_CREDENTIALS, startEmulator } from '@tasklane/emulator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../errors.ts';
import type { Host } from '../host.ts';
import { createLogger } from '../logging.ts';
import { loadPlugins } from '../plugins.ts';
import { renderTable } from '../table.ts';
import { demoDefinition } from './demo-pipeline.ts';

type HistoryEvent = { type?: string | undefined; stateEnteredEventDetails?: { name?: string | undefined } };

/** Per state: what its latest event says and how many attempts were scheduled. */
function stateRows(events: readonly HistoryEvent[]): string[][] {
  const rows = new Map<string, { status: string; attempts: number }>();
  let current = '';
  for (const e of events) {
    if (e.type === 'TaskStateEntered') {
      current = e.stateEnteredEventDetails?.name ?? '';
      rows.set(current, { status: 'ENTERED', attempts: 0 });
    }
    const row = rows.get(current);
    if (!row) continue;
    if (e.type === 'ActivityScheduled') {
      row.attempts++;
      row.status = 'SCHEDULED';
    } else if (e.type === 'ActivityStarted') row.status = 'RUNNING';
    else if (e.type === 'ActivityFailed') row.status = 'FAILED';
    else if (e.type === 'ActivityTimedOut') row.status = 'TIMED_OUT';
    else if (e.type === 'ActivitySucceeded') row.status = 'SUCCEEDED';
  }
  return [...rows].map(([name, r]) => [name, r.status, String(r.attempts)]);
}

/**
 * `tasklane demo --source stepfunctions`: the demo pipeline through `tasklane migrate`'s translation, on
 * the emulator's Step Functions API, run by an in-process runner serving its activities. The S3 staging
 * step has no Step Functions counterpart here and is left out, which the demo says.
 */
export async function demoStepFunctions(host: Host, timeoutMs: number): Promise<number> {
  const began = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'tasklane-demo-sfn-'));
  const emulator = await startEmulator({ port: 0, longPollMs: 1000 });
  const sfn = await import('@tasklane/source-stepfunctions');
  const config = {
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { ...EMULATOR_CREDENTIALS },
  };
  const client = new sfn.SFNClient(config);
  let runner: Runner | undefined;
  try {
    const all = demoDefinition(workDir, 'demo').objects;
    const staged = (o: Record<string, unknown>) => o.stage === 'true' || String(o.type).endsWith('DataNode');
    const objects = all.filter((o) => !staged(o));
    for (const o of all.filter(staged)) host.stdout(`left out: ${String(o.id)} (S3 staging)\n`);
    const migration = sfn.migrateDefinition({ objects }, { heartbeatSeconds: 10 });
    // Demo time: the definition's two-minute retry delay becomes one second.
    for (const state of Object.values(migration.definition.States))
      for (const retrier of (state.Retry as Array<{ IntervalSeconds?: number }> | undefined) ?? [])
        retrier.IntervalSeconds = 1;
    for (const line of migration.untranslated) host.stdout(`not translated: ${line}\n`);
    const { stateMachineArn, activities } = await sfn.deployMigration(client, migration, {
      name: `tasklane-demo-${began}`,
    });
    host.stdout(
      `Tasklane demo (Step Functions): emulator at ${emulator.endpoint}, activities ${Object.keys(activities).join(', ')}\n`,
    );
    const { registry } = await loadPlugins(['@tasklane/handlers-shell'], workDir);
    const source = new sfn.StepFunctionsSource({
      endpoint: config.endpoint,
      region: config.region,
      clientConfig: { credentials: config.credentials },
    });
    runner = new Runner({
      registry,
      sources: [{ source, groups: Object.values(activities) }],
      runtime: host.runtime,
      logger: await createLogger({ level: 'warn', format: 'pretty' }),
      concurrency: 2,
    });
    await runner.start();
    const { executionArn } = await client.send(
      new sfn.StartExecutionCommand({ stateMachineArn, input: '{}' }),
    );
    let status = 'RUNNING';
    let last = '';
    while (status === 'RUNNING' && Date.now() < began + timeoutMs) {
      await new Promise((r) => setTimeout(r, 500));
      status = (await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).status ?? 'RUNNING';
      const { events = [] } = await client.send(new sfn.GetExecutionHistoryCommand({ executionArn }));
      const table = renderTable(['state', 'status', 'attempts'], stateRows(events));
      if (table !== last) host.stdout(`${table}\n`);
      last = table;
    }
    host.stdout(`\nSummary: execution ${status} in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
    return status === 'SUCCEEDED' ? ExitCode.Ok : ExitCode.Fatal;
  } finally {
    await runner?.stop();
    client.destroy();
    await emulator.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}
