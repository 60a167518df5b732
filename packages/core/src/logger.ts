/** The logging surface core uses; pino loggers satisfy it as they are. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything; the default when the host gives none. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Whether `logger` would write at `level`: pino answers through `isLevelEnabled`; others always write. */
function enabled(logger: Logger, level: Level): boolean {
  const check = (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  return typeof check === 'function' ? check.call(logger, level) : true;
}

/**
 * A child logger built on its first use at an enabled level. Every task gets one (its ids as
 * bindings), most tasks write nothing at the running level, and a pino child serializes its bindings
 * when built: building it late saves that on every quiet task. Levels are the parent's, as pino's
 * children inherit them.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  return new LazyChild(parent, bindings);
}

class LazyChild implements Logger {
  readonly #parent: Logger;
  readonly #bindings: Record<string, unknown>;
  #real: Logger | undefined;

  constructor(parent: Logger, bindings: Record<string, unknown>) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  /** The real child, built once; a lazy parent is built first (its own child() would be lazy again). */
  #resolve(): Logger {
    const parent = this.#parent instanceof LazyChild ? this.#parent.#resolve() : this.#parent;
    this.#real ??= parent.child(this.#bindings);
    return this.#real;
  }

  #write(level: Level, obj: object | string, msg?: string): void {
    if (!this.isLevelEnabled(level)) return;
    const real = this.#resolve();
    if (msg === undefined) real[level](obj);
    else real[level](obj, msg);
  }

  isLevelEnabled(level: string): boolean {
    return enabled(this.#parent, level as Level);
  }

  debug(obj: object | string, msg?: string): void {
    this.#write('debug', obj, msg);
  }

  info(obj: object | string, msg?: string): void {
    this.#write('info', obj, msg);
  }

  warn(obj: object | string, msg?: string): void {
    this.#write('warn', obj, msg);
  }

  error(obj: object | string, msg?: string): void {
    this.#write('error', obj, msg);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new LazyChild(this, bindings);
  }
}
