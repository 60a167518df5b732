import type { RunnerHooks, SourceBinding } from '@tasklane/core';
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { DataPipelineSource, VERSION } from '@tasklane/core';

type Handler = (args: { input?: unknown }) => Promise<unknown>;
type Middleware = (next: Handler, ctx: { commandName?: string }) => Handler;
interface MiddlewareStack {
  add(middleware: Middleware, options: { step: 'initialize'; name: string }): void;
}

/**
 * OpenTelemetry spans of a runner through `@opentelemetry/api`: one per poll, one per task (from its
 * start to its last status report, a child of the poll that brought it) and one per Data Pipeline call
 * (a child of its poll or its task). Parents are found by worker group and task id rather than through
 * an async context manager, so the links hold on every runtime. Without an SDK the API is a no-op.
 */
export class RunnerTracing {
  readonly #tracer: Tracer;
  /** Polls in flight per group: the parent of their PollForTask call. */
  readonly #polls = new Map<string, Span>();
  /** The poll that brought a task, until the task starts. */
  readonly #received = new Map<string, { ctx: Context; epoch: number }>();
  readonly #tasks = new Map<string, Span>();

  constructor(tracer: Tracer = trace.getTracer('tasklane', VERSION)) {
    this.#tracer = tracer;
  }

  hooks(): RunnerHooks {
    return {
      wrapPoll: async (info, next) => {
        const span = this.#tracer.startSpan('tasklane.poll', {
          attributes: {
            'tasklane.worker_group': info.group,
            'tasklane.source': info.source,
            'tasklane.epoch': info.epoch,
          },
        });
        this.#polls.set(info.group, span);
        try {
          const received = await next();
          span.setAttribute('tasklane.got_task', received !== null);
          if (received !== null) {
            const id = (received as { id?: unknown }).id;
            if (typeof id === 'string') span.setAttribute('tasklane.received_id', id);
            this.#received.set(info.group, {
              ctx: trace.setSpan(context.active(), span),
              epoch: info.epoch,
            });
          }
          return received;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          if (this.#polls.get(info.group) === span) this.#polls.delete(info.group);
          span.end();
        }
      },
      onTaskStart: ({ group, source, task }) => {
        const received = this.#received.get(group);
        this.#received.delete(group);
        const span = this.#tracer.startSpan(
          `tasklane.task ${task.activityType}`,
          {
            attributes: {
              'tasklane.task_id': task.taskId,
              'tasklane.attempt_id': task.attemptId,
              'tasklane.worker_group': group,
              'tasklane.source': source,
              'tasklane.activity_type': task.activityType,
              'tasklane.pipeline_id': task.pipelineId,
              ...(received ? { 'tasklane.epoch': received.epoch } : {}),
            },
          },
          received?.ctx,
        );
        this.#tasks.set(task.taskId, span);
      },
      wrapHandle: (info, next) => {
        const span = this.#tasks.get(info.task.taskId);
        // With an async context manager registered, the handler's own spans nest under the task.
        return span ? context.with(trace.setSpan(context.active(), span), next) : next();
      },
      onTaskEnd: ({ task, end }) => {
        const span = this.#tasks.get(task.taskId);
        if (!span) return;
        this.#tasks.delete(task.taskId);
        span.setAttribute('tasklane.end', end.kind);
        if (end.kind === 'reported' || end.kind === 'unreported') {
          span.setAttribute('tasklane.status', end.outcome.status);
          if (end.outcome.status === 'FAILED')
            span.setStatus({ code: SpanStatusCode.ERROR, message: end.outcome.errorId });
        }
        if (end.kind === 'unreported') span.setStatus({ code: SpanStatusCode.ERROR, message: 'unreported' });
        span.end();
      },
    };
  }

  /** Adds a span per Data Pipeline call to the sources' SDK clients. */
  instrument(bindings: SourceBinding[]): SourceBinding[] {
    for (const { source } of bindings) {
      if (!(source instanceof DataPipelineSource)) continue;
      const stack = source.client.middlewareStack as unknown as MiddlewareStack;
      stack.add((next, ctx) => (args) => this.#call(ctx.commandName ?? 'Command', args, next), {
        step: 'initialize',
        name: 'tasklaneTracing',
      });
    }
    return bindings;
  }

  async #call(commandName: string, args: { input?: unknown }, next: Handler): Promise<unknown> {
    const method = commandName.replace(/Command$/, '');
    const input = (args.input ?? {}) as Record<string, unknown>;
    const taskId = typeof input['taskId'] === 'string' ? input['taskId'] : undefined;
    const group = typeof input['workerGroup'] === 'string' ? input['workerGroup'] : undefined;
    const parent = (taskId && this.#tasks.get(taskId)) || (group && this.#polls.get(group)) || undefined;
    const span = this.#tracer.startSpan(
      `DataPipeline.${method}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'aws-api',
          'rpc.service': 'DataPipeline',
          'rpc.method': method,
          ...(taskId ? { 'tasklane.task_id': taskId } : {}),
          ...(group ? { 'tasklane.worker_group': group } : {}),
          ...(typeof input['taskStatus'] === 'string' ? { 'tasklane.status': input['taskStatus'] } : {}),
        },
      },
      parent ? trace.setSpan(context.active(), parent) : undefined,
    );
    try {
      return await next(args);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
      throw error;
    } finally {
      span.end();
    }
  }
}

/** The runner hooks of a {@link RunnerTracing} (poll and task spans, without the SDK client's calls). */
export function tracingHooks(): RunnerHooks {
  return new RunnerTracing().hooks();
}
