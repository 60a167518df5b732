import 'reflect-metadata';
import { ContainerModule, inject } from 'inversify';
import { describe, expect, it } from 'vitest';
import {
  DuplicateHandlerError,
  ErrorCode,
  getTaskHandlerMetadata,
  HandlerRegistry,
  NoHandlerError,
  Task,
  TaskHandler,
  TasklaneError,
  Tokens,
  type Logger,
  type TaskContext,
} from '../src/index.ts';

const GREETING = Symbol.for('test.greeting');

@TaskHandler('RegistryTestActivity')
class Greeter {
  constructor(@inject(GREETING) readonly greeting: string) {}
  handle(task: Task, _ctx: TaskContext) {
    return `${this.greeting} ${task.taskId}`;
  }
}

describe('TaskHandler', () => {
  it('should record metadata and make the class injectable', () => {
    expect(getTaskHandlerMetadata(Greeter)).toEqual({ activityType: 'RegistryTestActivity', scope: 'task' });
    const registry = new HandlerRegistry().register(Greeter);
    registry.container.bind(GREETING).toConstantValue('hello');
    const handler = registry.create('RegistryTestActivity') as Greeter;
    expect(handler).toBeInstanceOf(Greeter);
    expect(handler.greeting).toBe('hello');
  });

  it('should apply as a plain function without decorator syntax', () => {
    const Plain = TaskHandler('PlainJsActivity')(
      class {
        async handle() {
          return 'done';
        }
      },
    );
    const registry = new HandlerRegistry().register(Plain);
    expect(registry.activityTypes()).toEqual(['PlainJsActivity']);
    expect(registry.create('PlainJsActivity')).toBeInstanceOf(Plain);
  });

  it('should reject an empty activity type and classes without handle()', () => {
    expect(() => TaskHandler('')).toThrow(/non-empty activity type/);
    expect(() => TaskHandler('X')(class {} as never)).toThrow(/handle\(task, ctx\)/);
  });
});

describe('HandlerRegistry', () => {
  it('should build a new handler per task by default and share singletons', () => {
    const PerTask = TaskHandler('PerTaskActivity')(
      class {
        handle() {}
      },
    );
    const Shared = TaskHandler('SharedActivity', { scope: 'singleton' })(
      class {
        handle() {}
      },
    );
    const registry = new HandlerRegistry().register(PerTask, Shared);
    expect(registry.create('PerTaskActivity')).not.toBe(registry.create('PerTaskActivity'));
    expect(registry.create('SharedActivity')).toBe(registry.create('SharedActivity'));
  });

  it('should keep registrations per registry (no global leak)', () => {
    const A = TaskHandler('IsolatedActivity')(
      class {
        handle() {}
      },
    );
    const first = new HandlerRegistry().register(A);
    const second = new HandlerRegistry();
    expect(first.has('IsolatedActivity')).toBe(true);
    expect(second.has('IsolatedActivity')).toBe(false);
  });

  it('should throw a coded, fix-it error for duplicates', () => {
    const A = TaskHandler('DupActivity')(
      class A {
        handle() {}
      },
    );
    const B = TaskHandler('DupActivity')(
      class B {
        handle() {}
      },
    );
    const registry = new HandlerRegistry().register(A);
    expect(() => registry.register(A)).not.toThrow();
    expect(() => registry.register(B)).toThrow(DuplicateHandlerError);
    try {
      registry.register(B);
    } catch (error) {
      expect((error as TasklaneError).code).toBe(ErrorCode.DuplicateHandler);
      expect(String(error)).toMatch(/handled by both A and B/);
    }
  });

  it('should throw NoHandlerError naming the type and what is registered', () => {
    const registry = new HandlerRegistry().register(
      TaskHandler('KnownActivity')(
        class {
          handle() {}
        },
      ),
    );
    expect(() => registry.create('UnknownActivity')).toThrow(NoHandlerError);
    expect(() => registry.create('UnknownActivity')).toThrow(
      /"UnknownActivity".*registered: KnownActivity.*--plugin/,
    );
  });

  it('should load handler classes and ContainerModules from a plugin module', async () => {
    const SERVICE = Symbol('service');
    const Uses = TaskHandler('ModuleActivity')(
      class Uses {
        constructor(readonly service: string) {}
        handle() {}
      },
    );
    inject(SERVICE)(Uses, undefined, 0);
    const module = {
      Uses,
      handlers: [
        TaskHandler('ArrayActivity')(
          class {
            handle() {}
          },
        ),
      ],
      bindings: new ContainerModule(({ bind }) => {
        bind(SERVICE).toConstantValue('from module');
      }),
      unrelated: 42,
    };
    const registry = new HandlerRegistry();
    const loaded = await registry.loadModule(module, 'my-plugin');
    expect(loaded.handlers.sort()).toEqual(['ArrayActivity', 'ModuleActivity']);
    expect(loaded.containerModules).toBe(1);
    expect((registry.create('ModuleActivity') as InstanceType<typeof Uses>).service).toBe('from module');
  });

  it('should let handlers inject the runner logger through Tokens', () => {
    const WithLogger = TaskHandler('LoggerActivity')(
      class {
        constructor(readonly logger: Logger) {}
        handle() {}
      },
    );
    inject(Tokens.Logger)(WithLogger, undefined, 0);
    const registry = new HandlerRegistry().register(WithLogger);
    const logger = { marker: true } as unknown as Logger;
    registry.bindDefault(Tokens.Logger, logger);
    expect((registry.create('LoggerActivity') as InstanceType<typeof WithLogger>).logger).toBe(logger);
  });
});
