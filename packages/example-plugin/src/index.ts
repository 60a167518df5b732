/**
 * @module @tasklane/example-plugin
 *
 * An example third-party Tasklane plugin: `LocalCopyActivity`. Load it with
 * `tasklane run --plugin @tasklane/example-plugin` or `registry.loadModule(await import('@tasklane/example-plugin'))`.
 */
export { LocalCopyActivity } from './local-copy-activity.ts';
export { LocalCopyErrorId } from './locations.ts';
