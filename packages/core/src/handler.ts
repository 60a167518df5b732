import 'reflect-metadata';
import { injectable } from 'inversify';
import type { TaskContext } from './context.ts';
import { ErrorCode, TasklaneError } from './errors.ts';
import type { Task } from './task.ts';

const HANDLER_METADATA = Symbol.for('tasklane.handler.metadata');

/** A class that handles tasks of one activity type. */
export interface TaskHandlerInstance {
  handle(task: Task, ctx: TaskContext): Promise<unknown> | unknown;
}

/** Constructor of a handler class. */
export type TaskHandlerClass = abstract new (...args: any[]) => TaskHandlerInstance;

/** Options of {@link TaskHandler}. */
export interface TaskHandlerOptions {
  /**
   * `'task'` builds a new instance per task (default); `'singleton'` shares one per runner.
   * @default 'task'
   */
  scope?: 'task' | 'singleton';
}

/** What {@link TaskHandler} records on a class. */
export interface TaskHandlerMetadata {
  readonly activityType: string;
  readonly scope: 'task' | 'singleton';
}

/**
 * Marks a class as the handler of `activityType` and makes it injectable. Works as a TypeScript standard
 * (TC39) decorator, as a legacy `experimentalDecorators` decorator, and as a plain function in JavaScript:
 * `TaskHandler('X')(class { async handle() {} })`. No tsconfig setting is needed; constructor injection by
 * type (`@inject` on parameters, `design:paramtypes`) still needs `experimentalDecorators` and
 * `emitDecoratorMetadata`, because standard decorators have no parameter decorators.
 * Registration happens per runner (see HandlerRegistry), never in a module-global list.
 */
export function TaskHandler(activityType: string, options: TaskHandlerOptions = {}) {
  if (typeof activityType !== 'string' || activityType.trim() === '') {
    throw new TasklaneError(
      ErrorCode.InvalidHandler,
      '@TaskHandler needs a non-empty activity type, e.g. @TaskHandler("ShellCommandActivity")',
    );
  }
  // A standard decorator is called with (class, context), a legacy one with (class) alone.
  return <C extends TaskHandlerClass>(target: C, context?: ClassDecoratorContext<C>): C => {
    if (context !== undefined && context.kind !== 'class') {
      throw new TasklaneError(
        ErrorCode.InvalidHandler,
        `@TaskHandler("${activityType}") decorates classes, not a ${String(context.kind)}`,
      );
    }
    if (
      typeof target !== 'function' ||
      typeof (target.prototype as Partial<TaskHandlerInstance>)?.handle !== 'function'
    ) {
      throw new TasklaneError(
        ErrorCode.InvalidHandler,
        `@TaskHandler("${activityType}") must decorate a class with a handle(task, ctx) method`,
      );
    }
    const metadata: TaskHandlerMetadata = { activityType, scope: options.scope ?? 'task' };
    Object.defineProperty(target, HANDLER_METADATA, {
      value: metadata,
      enumerable: false,
      configurable: true,
    });
    // injectable() throws if applied twice; a class may be re-exported and decorated by tooling again.
    try {
      injectable()(target as never);
    } catch (error) {
      if (!String(error).includes('injectable')) throw error;
    }
    return target;
  };
}

/** The handler metadata of a class, or undefined when it is not a @TaskHandler. */
export function getTaskHandlerMetadata(value: unknown): TaskHandlerMetadata | undefined {
  if (typeof value !== 'function') return undefined;
  return Object.prototype.hasOwnProperty.call(value, HANDLER_METADATA)
    ? (value as unknown as Record<symbol, TaskHandlerMetadata>)[HANDLER_METADATA]
    : undefined;
}
