import type { RunnerHooks } from '@tasklane/core';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { VERSION } from '@tasklane/core';

/**
 * OpenTelemetry spans per poll and per task through `@opentelemetry/api`. Without an SDK registered by
 * the operator the API is a no-op, so this costs next to nothing by default.
 */
export function tracingHooks(): RunnerHooks {
  const tracer = trace.getTracer('tasklane', VERSION);
  return {
    wrapPoll: (info, next) =>
      tracer.startActiveSpan(
        'tasklane.poll',
        {
          attributes: {
            'tasklane.group': info.group,
            'tasklane.source': info.source,
            'tasklane.epoch': info.epoch,
          },
        },
        async (span) => {
          try {
            return await next();
          } catch (error) {
            span.recordException(error as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw error;
          } finally {
            span.end();
          }
        },
      ),
    wrapHandle: (info, next) =>
      tracer.startActiveSpan(
        `tasklane.task ${info.task.activityType}`,
        {
          attributes: {
            'tasklane.group': info.group,
            'tasklane.activity_type': info.task.activityType,
            'tasklane.attempt_id': info.task.attemptId,
            'tasklane.pipeline_id': info.task.pipelineId,
          },
        },
        async (span) => {
          try {
            const outcome = await next();
            span.setAttribute('tasklane.status', outcome.status);
            if (outcome.status === 'FAILED')
              span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorId });
            return outcome;
          } finally {
            span.end();
          }
        },
      ),
  };
}
