import 'reflect-metadata';
import { Container, type ContainerModule } from 'inversify';
import { ErrorCode, TasklaneError } from './errors.ts';
import { getTaskHandlerMetadata, type TaskHandlerClass, type TaskHandlerInstance } from './handler.ts';

/** Injection tokens the runner binds; use them with `@inject(Tokens.X)` in handler constructors. */
export const Tokens: { readonly Logger: symbol; readonly Runtime: symbol } = {
  /** The runner's {@link Logger}. */
  Logger: Symbol.for('tasklane.Logger'),
  /** The host's {@link RuntimePrimitives}. */
  Runtime: Symbol.for('tasklane.Runtime'),
} as const;

/** No handler is registered for an activity type. */
export class NoHandlerError extends TasklaneError {
  override name = 'NoHandlerError';
  constructor(
    readonly activityType: string,
    registered: readonly string[],
  ) {
    super(
      ErrorCode.NoHandler,
      `no handler for activity type "${activityType}" (registered: ${registered.length ? registered.join(', ') : 'none'}). ` +
        `Load a plugin that provides it (--plugin MODULE) or register a class decorated with @TaskHandler("${activityType}").`,
    );
  }
}

/** Two handler classes claim the same activity type. */
export class DuplicateHandlerError extends TasklaneError {
  override name = 'DuplicateHandlerError';
  constructor(activityType: string, first: string, second: string) {
    super(
      ErrorCode.DuplicateHandler,
      `activity type "${activityType}" is handled by both ${first} and ${second}; load only one of them, ` +
        `or give one a different activity type in @TaskHandler(...)`,
    );
  }
}

interface Registration {
  readonly cls: TaskHandlerClass;
  readonly origin: string;
}

function isContainerModule(value: unknown): value is ContainerModule {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { load?: unknown }).load === 'function' &&
    typeof (value as { id?: unknown }).id === 'number'
  );
}

/** What {@link HandlerRegistry.loadModule} found in a module. */
export interface LoadedModule {
  readonly handlers: string[];
  readonly containerModules: number;
}

/**
 * The handlers of one runner, and the inversify container that builds them. Each runner (and each test)
 * owns its registry, so registrations never leak between them.
 */
export class HandlerRegistry {
  readonly container: Container;
  readonly #registrations = new Map<string, Registration>();

  constructor(container: Container = new Container()) {
    this.container = container;
  }

  /** Registers handler classes; throws {@link DuplicateHandlerError} on a clash. */
  register(...classes: TaskHandlerClass[]): this {
    for (const cls of classes) this.#register(cls, cls.name || 'anonymous class');
    return this;
  }

  #register(cls: TaskHandlerClass, origin: string): string {
    const metadata = getTaskHandlerMetadata(cls);
    if (!metadata) {
      throw new TasklaneError(
        ErrorCode.InvalidHandler,
        `${cls.name || 'class'} is not a task handler: decorate it with @TaskHandler("ActivityType")`,
      );
    }
    const existing = this.#registrations.get(metadata.activityType);
    if (existing) {
      if (existing.cls === cls) return metadata.activityType;
      throw new DuplicateHandlerError(metadata.activityType, existing.origin, origin);
    }
    const binding = this.container.bind(cls).toSelf();
    if (metadata.scope === 'singleton') binding.inSingletonScope();
    else binding.inTransientScope();
    this.#registrations.set(metadata.activityType, { cls, origin });
    return metadata.activityType;
  }

  /**
   * Registers everything a plugin module exports: @TaskHandler classes (directly, in arrays, or under
   * `default`) and inversify ContainerModules (loaded into the container).
   */
  async loadModule(moduleExports: Record<string, unknown>, source = 'module'): Promise<LoadedModule> {
    const handlers: string[] = [];
    const modules: ContainerModule[] = [];
    const visit = (value: unknown, name: string, depth: number) => {
      if (getTaskHandlerMetadata(value)) {
        const cls = value as TaskHandlerClass;
        handlers.push(this.#register(cls, `${cls.name || name} (from ${source})`));
      } else if (isContainerModule(value)) {
        modules.push(value);
      } else if (depth < 2 && Array.isArray(value)) {
        value.forEach((item, i) => visit(item, `${name}[${i}]`, depth + 1));
      } else if (depth < 1 && name === 'default' && typeof value === 'object' && value !== null) {
        for (const [key, inner] of Object.entries(value)) visit(inner, key, depth + 1);
      }
    };
    for (const [name, value] of Object.entries(moduleExports)) visit(value, name, 0);
    for (const m of new Set(modules)) await this.container.loadAsync(m);
    return { handlers: [...new Set(handlers)], containerModules: new Set(modules).size };
  }

  /** Registered activity types, sorted. */
  activityTypes(): string[] {
    return [...this.#registrations.keys()].sort();
  }

  has(activityType: string): boolean {
    return this.#registrations.has(activityType);
  }

  /** Builds the handler for an activity type; throws {@link NoHandlerError} when none is registered. */
  create(activityType: string): TaskHandlerInstance {
    const registration = this.#registrations.get(activityType);
    if (!registration) throw new NoHandlerError(activityType, this.activityTypes());
    return this.container.get(registration.cls as never);
  }

  /** Binds a constant unless the user bound the token already (their binding wins). */
  bindDefault(token: symbol, value: unknown): void {
    if (!this.container.isBound(token)) this.container.bind(token).toConstantValue(value);
  }
}
