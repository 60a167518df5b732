/**
 * Routes `X-Amz-Target: DataPipeline.<Op>` to its handler after faults, JSON parsing and shape checks.
 * Whatever a handler throws becomes an AWS error answer; nothing escapes to crash the server.
 */
import type { RequestContext } from './context.ts';
import {
  InternalServiceFault,
  InvalidRequestError,
  ServiceError,
  ThrottlingError,
  UnknownOperationError,
} from './errors.ts';
import { INPUT_SHAPES } from './input-shapes.ts';
import {
  addTags,
  activatePipeline,
  createPipeline,
  deactivatePipeline,
  deletePipeline,
  describePipelines,
  getPipelineDefinition,
  listPipelines,
  putPipelineDefinition,
  removeTags,
  validatePipelineDefinition,
} from './pipeline-ops.ts';
import { describeObjects, evaluateExpressionOp, queryObjects, setStatus } from './object-ops.ts';
import type { ServiceState } from './service.ts';
import { pollForTask, reportTaskProgress, reportTaskRunnerHeartbeat, setTaskStatus } from './task-ops.ts';
import { validateInput } from './validation.ts';

type Handler = (input: Record<string, unknown>, ctx: RequestContext) => object | Promise<object>;

export type Outcome = { kind: 'json'; status: number; body: string; errorType?: string } | { kind: 'drop' };

const TARGET_PREFIX = 'DataPipeline.';

export function createHandlers(s: ServiceState): Record<string, Handler> {
  return {
    ActivatePipeline: (i) => activatePipeline(s, i),
    AddTags: (i) => addTags(s, i),
    CreatePipeline: (i, ctx) => createPipeline(s, i, ctx),
    DeactivatePipeline: (i) => deactivatePipeline(s, i),
    DeletePipeline: (i) => deletePipeline(s, i),
    DescribeObjects: (i) => describeObjects(s, i),
    DescribePipelines: (i) => describePipelines(s, i),
    EvaluateExpression: (i) => evaluateExpressionOp(s, i),
    GetPipelineDefinition: (i) => getPipelineDefinition(s, i),
    ListPipelines: (i) => listPipelines(s, i),
    PollForTask: (i, ctx) => pollForTask(s, i, ctx),
    PutPipelineDefinition: (i) => putPipelineDefinition(s, i),
    QueryObjects: (i) => queryObjects(s, i),
    RemoveTags: (i) => removeTags(s, i),
    ReportTaskProgress: (i) => reportTaskProgress(s, i),
    ReportTaskRunnerHeartbeat: (i, ctx) => reportTaskRunnerHeartbeat(s, i, ctx.userId),
    SetStatus: (i) => setStatus(s, i),
    SetTaskStatus: (i) => setTaskStatus(s, i),
    ValidatePipelineDefinition: (i) => validatePipelineDefinition(s, i),
  };
}

export function errorOutcome(err: ServiceError): Outcome {
  return {
    kind: 'json',
    status: err.statusCode,
    body: JSON.stringify({ __type: err.code, message: err.message }),
    errorType: err.code,
  };
}

export class Router {
  readonly #s: ServiceState;
  readonly #handlers: Record<string, Handler>;

  constructor(s: ServiceState, handlers: Record<string, Handler>) {
    this.#s = s;
    this.#handlers = handlers;
  }

  async dispatch(target: string | undefined, body: string, ctx: RequestContext): Promise<Outcome> {
    try {
      const op = this.#operation(target);
      this.#s.obs.request(op);
      const handler = this.#handlers[op]!;
      const plan = this.#s.faults.active ? this.#s.faults.plan(op) : undefined;
      if (plan) {
        if (plan.latencyMs > 0)
          await new Promise<void>((resolve) => this.#s.clock.setTimeout(resolve, plan.latencyMs));
        if (plan.terminal === 'internal-error')
          throw new InternalServiceFault('Injected fault: internal service error.');
        if (plan.terminal === 'throttle') throw new ThrottlingError();
        if (plan.terminal === 'drop-before') return { kind: 'drop' };
      }
      const input = INPUT_SHAPES[op]!;
      const parsed = parseBody(body);
      const result = await handler(validateInput(input, parsed), ctx);
      if (plan?.terminal === 'drop-after') return { kind: 'drop' };
      return { kind: 'json', status: 200, body: JSON.stringify(result) };
    } catch (err) {
      if (err instanceof ServiceError) return errorOutcome(err);
      this.#s.log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return errorOutcome(new InternalServiceFault());
    } finally {
      this.#s.obs.changed();
    }
  }

  #operation(target: string | undefined): string {
    if (!target)
      throw new UnknownOperationError('Missing X-Amz-Target header; expected DataPipeline.<Operation>.');
    if (!target.startsWith(TARGET_PREFIX))
      throw new UnknownOperationError(
        `Unknown target '${target.slice(0, 128)}'; expected DataPipeline.<Operation>.`,
      );
    const op = target.slice(TARGET_PREFIX.length);
    if (!Object.hasOwn(this.#handlers, op))
      throw new UnknownOperationError(`Unknown operation '${op.slice(0, 128)}'.`);
    return op;
  }
}

function parseBody(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new InvalidRequestError(
      `The request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
