/**
 * @module @tasklane/handlers-shell
 *
 * First-party Tasklane plugin: `ShellCommandActivity` and `ShellCommandPrecondition`, on any host that
 * supplies the `spawn` runtime primitive (Node, Bun and Deno through @tasklane/runtime).
 *
 * @example
 * ```ts
 * const registry = new HandlerRegistry();
 * await registry.loadModule(await import('@tasklane/handlers-shell'));
 * ```
 */
export { ShellCommandActivity } from './activity.ts';
export { ShellCommandPrecondition } from './precondition.ts';
export { ShellErrorId } from './errors.ts';
export { DEFAULT_KILL_GRACE_MS } from './spec.ts';
export { STDERR_TAIL_BYTES } from './shell-task.ts';

export type { ShellSpec } from './spec.ts';
