import { VERSION, type Logger } from '@tasklane/core';
import { UsageError } from '../errors.ts';
import { importPeer } from '../peer-import.ts';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTrace from '@opentelemetry/sdk-trace';

type Env = (name: string) => string | undefined;

/** A started OpenTelemetry SDK: flushes and stops its exporter. */
export interface OtelSdk {
  readonly exporter: string;
  shutdown(): Promise<void>;
}

const EXPORTERS: Record<string, { name: string; load: () => Promise<unknown> }> = {
  'http/protobuf': {
    name: '@opentelemetry/exporter-trace-otlp-proto',
    load: () => import('@opentelemetry/exporter-trace-otlp-proto'),
  },
  'http/json': {
    name: '@opentelemetry/exporter-trace-otlp-http',
    load: () => import('@opentelemetry/exporter-trace-otlp-http'),
  },
};

/**
 * Which span exporter the standard OTEL_* variables ask for. Tracing stays off (nothing is loaded)
 * unless OTEL_TRACES_EXPORTER says otlp/console or an OTLP endpoint is set.
 */
export function tracesExporter(env: Env): 'otlp' | 'console' | undefined {
  if (env('OTEL_SDK_DISABLED')?.trim().toLowerCase() === 'true') return undefined;
  const named = env('OTEL_TRACES_EXPORTER')?.trim().toLowerCase();
  const list = named ? named.split(',').map((s) => s.trim()) : [];
  if (list.length === 0 || list.includes('none')) {
    const endpoint = env('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? env('OTEL_EXPORTER_OTLP_ENDPOINT');
    return list.length === 0 && endpoint ? 'otlp' : undefined;
  }
  const unknown = list.find((e) => e !== 'otlp' && e !== 'console');
  if (unknown)
    throw new UsageError(
      'OTEL_TRACES_EXPORTER',
      `OTEL_TRACES_EXPORTER: "${unknown}" is not supported (otlp, console or none)`,
    );
  return list.includes('otlp') ? 'otlp' : 'console';
}

/** Which runtime runs the runner: a mixed fleet's spans say so (semantic conventions' process.runtime.*). */
export interface RuntimeIdentity {
  readonly name: string;
  readonly version: string;
}

function resourceAttributes(env: Env, runtime: RuntimeIdentity | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (runtime) {
    // The conventions name Node "nodejs"; Bun and Deno have no listed value, so they go by their own names.
    attributes['process.runtime.name'] = runtime.name === 'node' ? 'nodejs' : runtime.name;
    attributes['process.runtime.version'] = runtime.version;
  }
  for (const pair of (env('OTEL_RESOURCE_ATTRIBUTES') ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    try {
      attributes[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(
        pair.slice(at + 1).trim(),
      );
    } catch {
      // The spec says to drop the whole variable when it cannot be decoded; one bad pair is dropped here.
    }
  }
  attributes['service.name'] = env('OTEL_SERVICE_NAME') ?? attributes['service.name'] ?? 'tasklane';
  attributes['service.version'] ??= VERSION;
  return attributes;
}

function positive(env: Env, name: string): number | undefined {
  const raw = env(name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new UsageError(name, `${name}: must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * True once anything registered a global tracer provider through `@opentelemetry/api` (its process-wide
 * slot, read here without loading the API): a plugin, or a preload such as the auto-instrumentations'
 * `--import …/register`. Without one, spans would go to the API's no-op tracer.
 */
export function globalTracerRegistered(): boolean {
  const slot = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[
    Symbol.for('opentelemetry.js.api.1')
  ];
  return slot?.trace !== undefined;
}

/**
 * Starts an OpenTelemetry SDK from the standard OTEL_* variables, or returns undefined when tracing is
 * off. The SDK packages are optional peers loaded only here, so a runner without tracing never loads them.
 */
export async function startOtelSdk(
  env: Env,
  logger: Logger,
  runtime?: RuntimeIdentity,
): Promise<OtelSdk | undefined> {
  const exporterKind = tracesExporter(env);
  if (!exporterKind) return undefined;
  const protocol = (
    env('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    env('OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf'
  ).trim();
  const exporterPackage = exporterKind === 'otlp' ? EXPORTERS[protocol] : undefined;
  if (exporterKind === 'otlp' && !exporterPackage)
    throw new UsageError(
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      `OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported (http/protobuf or http/json)`,
    );
  const option = 'OTEL_TRACES_EXPORTER';
  const sdk = await importPeer<typeof SdkTrace>(
    '@opentelemetry/sdk-trace',
    option,
    () => import('@opentelemetry/sdk-trace'),
  );
  const { resourceFromAttributes } = await importPeer<typeof Resources>(
    '@opentelemetry/resources',
    option,
    () => import('@opentelemetry/resources'),
  );
  const exporter = exporterPackage
    ? new (
        await importPeer<typeof OtlpHttp>(exporterPackage.name, option, exporterPackage.load)
      ).OTLPTraceExporter()
    : new sdk.ConsoleSpanExporter();
  const processor = new sdk.BatchSpanProcessor({
    exporter,
    ...optional('scheduledDelayMillis', positive(env, 'OTEL_BSP_SCHEDULE_DELAY')),
    ...optional('maxQueueSize', positive(env, 'OTEL_BSP_MAX_QUEUE_SIZE')),
    ...optional('maxExportBatchSize', positive(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE')),
    ...optional('exportTimeoutMillis', positive(env, 'OTEL_BSP_EXPORT_TIMEOUT')),
  });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes(resourceAttributes(env, runtime)),
    sampler: sampler(sdk, env),
    spanProcessors: [processor],
  });
  const { trace } = await import('@opentelemetry/api');
  trace.setGlobalTracerProvider(provider);
  const name = exporterPackage ? `otlp ${protocol}` : 'console';
  logger.info({ exporter: name }, 'OpenTelemetry tracing on');
  return {
    exporter: name,
    shutdown: async () => {
      try {
        await provider.shutdown();
      } catch (error) {
        logger.warn({ err: error }, 'OpenTelemetry: spans could not be flushed at stop');
      }
    },
  };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function sampler(sdk: typeof SdkTrace, env: Env) {
  const name = (env('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').trim().toLowerCase();
  const arg = env('OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (name.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1))
    throw new UsageError('OTEL_TRACES_SAMPLER_ARG', `OTEL_TRACES_SAMPLER_ARG: must be 0..1, got ${arg}`);
  const root = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: () => new sdk.TraceIdRatioBasedSampler(ratio),
  };
  const base = name.replace(/^parentbased_/, '') as keyof typeof root;
  if (!(base in root))
    throw new UsageError('OTEL_TRACES_SAMPLER', `OTEL_TRACES_SAMPLER: "${name}" is not supported`);
  return name.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root: root[base]() }) : root[base]();
}
