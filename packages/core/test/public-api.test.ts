/**
 * Type-level tests of the public API: `tsc --noEmit` (the typecheck target) fails if these drift; the
 * runtime assertions keep vitest honest about the values exported.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as core from '../src/index.ts';
import type {
  Coordinator,
  PollPermit,
  RunnerOptions,
  SourceTask,
  Task,
  TaskContext,
  TaskHandlerClass,
  TaskOutcome,
  TaskSource,
} from '../src/index.ts';

describe('public API types', () => {
  it('should type handlers, context and outcomes', () => {
    expectTypeOf(core.TaskHandler).parameter(0).toEqualTypeOf<string>();
    const Decorated = core.TaskHandler('X')(
      class {
        handle(_t: Task, _c: TaskContext) {
          return 1;
        }
      },
    );
    expectTypeOf(Decorated).toMatchTypeOf<TaskHandlerClass>();
    expectTypeOf<TaskContext['signal']>().toEqualTypeOf<AbortSignal>();
    expectTypeOf<TaskContext['reportProgress']>()
      .parameter(0)
      .toEqualTypeOf<Record<string, string | number> | undefined>();
    expectTypeOf<TaskContext['abortReason']>().toEqualTypeOf<
      'canceled' | 'shutdown' | 'attempt-timeout' | 'lease-lost' | undefined
    >();
    expectTypeOf<TaskOutcome['status']>().toEqualTypeOf<'FINISHED' | 'FALSE' | 'FAILED'>();
    expectTypeOf(core.preconditionFalse).returns.toEqualTypeOf<core.PreconditionFalse>();
    expectTypeOf<Task['getAll']>().returns.toEqualTypeOf<string[]>();
    expectTypeOf<Task['get']>().returns.toEqualTypeOf<string | undefined>();
    expectTypeOf<Task['getDuration']>().returns.toEqualTypeOf<number | undefined>();
  });

  it('should type the extension points', () => {
    expectTypeOf<Coordinator['acquire']>().returns.toEqualTypeOf<Promise<PollPermit>>();
    expectTypeOf<TaskSource['poll']>().returns.toEqualTypeOf<Promise<SourceTask | null>>();
    expectTypeOf<RunnerOptions['concurrency']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RunnerOptions['progressInterval']>().toEqualTypeOf<number | string | undefined>();
    // @ts-expect-error registry is required
    const missing: RunnerOptions = { sources: [] };
    expect(missing).toBeDefined();
  });

  it('should export values by name, with no accidental extras', () => {
    expect(Object.keys(core).sort()).toEqual(
      [
        'DataPipelineSource',
        'DefinitionError',
        'DuplicateHandlerError',
        'ERROR_LIMITS',
        'ErrorCode',
        'HandlerRegistry',
        'InProcessCoordinator',
        'InvalidFieldError',
        'InvalidOptionError',
        'LeaseLostError',
        'MalformedTaskError',
        'MissingFieldError',
        'NoHandlerError',
        'Runner',
        'Task',
        'TaskFailure',
        'TaskHandler',
        'TaskObject',
        'TasklaneError',
        'Tokens',
        'UnresolvedReferenceError',
        'VERSION',
        'backoffDelay',
        'combineHooks',
        'ContainerModule',
        'inject',
        'injectable',
        'optional',
        'compileRunnerOptions',
        'definitionObjectToWire',
        'definitionToWireObjects',
        'describeValue',
        'failureOutcome',
        'fetchInstanceIdentity',
        'formatDuration',
        'getTaskHandlerMetadata',
        'handlerResult',
        'isPreconditionFalse',
        'parseDuration',
        'portableRuntime',
        'preconditionFalse',
        'silentLogger',
        'sleep',
        'slotCounts',
        'TASK_ENV_POLICY',
        'TASK_ENV_ALLOWED',
        'isDeniedTaskEnv',
        'taskEnvironment',
        'sanitizeOutcome',
        'minimalOutcome',
        'sanitizeText',
        'safeString',
        'matchesPatternP',
        'optionError',
        'integerOption',
        'durationOption',
        'stringOption',
        'setLongTimeout',
        'setLongInterval',
        'MAX_TIMER_MS',
        'TaskAbort',
        'callHandler',
        'settleHandler',
        'reportedOutcome',
        'threadPort',
        'taskContext',
        'booleanOption',
      ].sort(),
    );
  });
});
