/**
 * Tracing from the standard OTEL_* variables: a real runner process of each runtime app against the
 * emulator exports its spans over OTLP/HTTP (JSON protocol) to a collector stand-in, a tiny HTTP server
 * decoding the requests.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { type GroupProcess } from '@tasklane/test-utils';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracesExporter } from '../src/ops/otel-sdk.ts';
import { startTasklane } from './runner-process.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

function attributeValue(v: Record<string, unknown>): unknown {
  if ('stringValue' in v) return v['stringValue'];
  if ('intValue' in v) return Number(v['intValue']);
  if ('boolValue' in v) return v['boolValue'];
  if ('doubleValue' in v) return v['doubleValue'];
  return v;
}

const toAttributes = (list: Array<{ key: string; value: Record<string, unknown> }> = []) =>
  Object.fromEntries(list.map((a) => [a.key, attributeValue(a.value)]));

const RUNTIMES = ['node', 'bun', 'deno'] as const;

describe.each(RUNTIMES)('tracing from OTEL_* variables on %s', (runtime) => {
  let emulator: Emulator;
  let collector: Server;
  let runner: GroupProcess;
  const spans: OtlpSpan[] = [];
  const resources: Array<Record<string, unknown>> = [];
  const contentTypes = new Set<string>();

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        contentTypes.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
        const parsed = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: Record<string, unknown> }> };
            scopeSpans: Array<{ spans: Array<Omit<OtlpSpan, 'attributes'> & { attributes: [] }> }>;
          }>;
        };
        for (const rs of parsed.resourceSpans) {
          resources.push(toAttributes(rs.resource.attributes));
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) spans.push({ ...s, attributes: toAttributes(s.attributes) });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    emulator = await startEmulator({ longPollMs: 300 });
    runner = startTasklane(runtime, ['run', '--worker-group', 'traced', '--endpoint', emulator.endpoint], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'tasklane-traced',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    await runner.waitForOutput(/OpenTelemetry tracing on/, 30_000);
    await runner.waitForOutput(/tasklane runner started/, 30_000);
  }, 60_000);

  afterAll(async () => {
    await runner?.stop(5000);
    await emulator?.close();
    await new Promise((resolve) => collector?.close(resolve));
  });

  it('exports poll, task and SetTaskStatus spans linked parent to child, with task attributes', async () => {
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: 'traced',
      type: 'ShellCommandActivity',
      fields: { command: 'true' },
    });
    const done = await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 30_000);
    expect(done.tasks[taskId]!.terminalStatus).toBe('FINISHED');
    await expect
      .poll(() => spans.some((s) => s.name === 'tasklane.task ShellCommandActivity'), { timeout: 15_000 })
      .toBe(true);
    const task = spans.find((s) => s.name === 'tasklane.task ShellCommandActivity')!;
    expect(task.attributes).toMatchObject({
      'tasklane.task_id': taskId,
      'tasklane.worker_group': 'traced',
      'tasklane.status': 'FINISHED',
    });
    expect(typeof task.attributes['tasklane.attempt_id']).toBe('string');
    expect(task.attributes['tasklane.attempt_id']).not.toBe('');
    expect(typeof task.attributes['tasklane.epoch']).toBe('number');

    // The task is a child of the poll that brought it, in the same trace.
    const poll = spans.find((s) => s.spanId === task.parentSpanId)!;
    expect(poll).toBeDefined();
    expect(poll.name).toBe('tasklane.poll');
    expect(poll.traceId).toBe(task.traceId);
    expect(poll.attributes).toMatchObject({
      'tasklane.worker_group': 'traced',
      'tasklane.got_task': true,
      'tasklane.epoch': task.attributes['tasklane.epoch'],
    });
    // The poll's PollForTask call is its child; the terminal SetTaskStatus is the task's.
    const pollCall = spans.find(
      (s) => s.name === 'DataPipeline.PollForTask' && s.parentSpanId === poll.spanId,
    );
    expect(pollCall?.attributes).toMatchObject({
      'rpc.method': 'PollForTask',
      'tasklane.worker_group': 'traced',
    });
    const status = spans.find((s) => s.name === 'DataPipeline.SetTaskStatus')!;
    expect(status).toBeDefined();
    expect(status.parentSpanId).toBe(task.spanId);
    expect(status.traceId).toBe(task.traceId);
    expect(status.attributes).toMatchObject({ 'tasklane.task_id': taskId, 'tasklane.status': 'FINISHED' });

    // Empty polls are spans too, each a root of its own trace.
    await expect
      .poll(
        () => spans.some((s) => s.name === 'tasklane.poll' && s.attributes['tasklane.got_task'] === false),
        {
          timeout: 15_000,
        },
      )
      .toBe(true);
    expect(resources[0]).toMatchObject({
      'service.name': 'tasklane-traced',
      'deployment.environment': 'test',
      // The process really is the runtime under test.
      'process.runtime.name': runtime === 'node' ? 'nodejs' : runtime,
    });
    expect(resources[0]!['process.runtime.version']).toMatch(/^\d+\.\d+/);
    expect([...contentTypes]).toEqual(['POST /v1/traces application/json']);
  });
});

describe('tracing configuration', () => {
  it('is off without an endpoint or exporter, and on for an endpoint', () => {
    const env = (vars: Record<string, string>) => (name: string) => vars[name];
    expect(tracesExporter(env({}))).toBeUndefined();
    expect(tracesExporter(env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }))).toBe('otlp');
    expect(
      tracesExporter(env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })),
    ).toBeUndefined();
    expect(
      tracesExporter(env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })),
    ).toBeUndefined();
    expect(tracesExporter(env({ OTEL_TRACES_EXPORTER: 'console' }))).toBe('console');
    expect(() => tracesExporter(env({ OTEL_TRACES_EXPORTER: 'zipkin' }))).toThrow(/OTEL_TRACES_EXPORTER/);
  });

  it('exits 2 naming the variable for an unsupported protocol', async () => {
    const runner = startTasklane('node', ['run', '--worker-group', 'x', '--endpoint', 'http://127.0.0.1:9'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(await runner.exited).toBe(2);
    expect(runner.output()).toContain('OTEL_EXPORTER_OTLP_PROTOCOL');
  });
});
