/**
 * @module @tasklane/handlers-sql
 *
 * First-party Tasklane plugin for the work runners do next to a database: `SqlActivity`, `CopyActivity`
 * between SQL and S3 data nodes, and the `Exists` precondition. PostgreSQL and Redshift through `pg`,
 * MySQL and MariaDB through `mysql2`; Node, Bun and Deno.
 *
 * @example
 * ```ts
 * const registry = new HandlerRegistry();
 * await registry.loadModule(await import('@tasklane/handlers-sql'));
 * ```
 */
export { SqlActivity } from './sql-activity.ts';
export { CopyActivity } from './copy-activity.ts';
export { Exists } from './exists.ts';
export { SqlErrorId } from './errors.ts';
export { splitScript } from './sql/split.ts';
export { connectionSpec } from './database/config.ts';
export { parseJdbcUrl } from './database/jdbc-url.ts';

export type { Statement } from './sql/split.ts';
export type { ConnectionSpec, Dialect, TlsSetting } from './database/spec.ts';
