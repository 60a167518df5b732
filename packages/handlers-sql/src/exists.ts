import {
  preconditionFalse,
  TaskHandler,
  type PreconditionFalse,
  type Task,
  type TaskContext,
} from '@tasklane/core';
import { mySqlTableExists } from './copy/sink-mysql.ts';
import { pgTableExists } from './copy/sink-pg.ts';
import { selectQueryOf } from './copy/sql-text.ts';
import { localExists } from './copy/local-files.ts';
import { withSession } from './database/open.ts';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from './errors.ts';
import { dataNode, type DataNode } from './nodes.ts';
import { ObjectResolver, type EnvReader, type PipelineObject } from './objects.ts';
import { listKeys, objectExists } from './s3.ts';

/** Fields that may name the data node on the precondition itself (Tasklane's explicit form). */
const NODE_KEYS = ['node', 'dataNode'];

/**
 * Runs the `Exists` precondition for an S3 or SQL data node: FINISHED when the data is there, FALSE
 * (the service checks again later) when it is simply not there yet, FAILED when it cannot be checked
 * (database unreachable, access denied). S3: the `filePath` object, or any object under `directoryPath`.
 * SQL: the `table`, or at least one row of `selectQuery` when the node has one.
 */
@TaskHandler('Exists')
export class Exists {
  async handle(task: Task, ctx: TaskContext): Promise<PreconditionFalse | undefined> {
    const env: EnvReader = (name) => ctx.runtime.env(name);
    const objects = new ObjectResolver(task, env, ctx.signal);
    const node = await dataNode(await findNode(task, objects), objects, env, ctx.signal);
    const missing = await whatIsMissing(node, env, ctx);
    if (missing === undefined) return undefined;
    ctx.logger.info({ node: node.id, missing }, 'Exists: not there yet');
    return preconditionFalse(missing);
  }
}

/**
 * The node this precondition guards: named by `node` on the precondition, or the object in the task
 * whose `precondition` field refers to it (how a data node carries its preconditions).
 */
async function findNode(task: Task, objects: ObjectResolver): Promise<PipelineObject> {
  for (const key of NODE_KEYS) {
    if (objects.refIds(key).length) return objects.requireRef(key);
  }
  const mine = new Set([task.attemptId, ...objects.refIds('@componentParent'), ...objects.refIds('parent')]);
  for (const object of task.objects.values()) {
    if (object.id === task.attemptId) continue;
    if ((object.ownRefs('precondition') ?? []).some((id) => mine.has(id))) return objects.object(object.id);
  }
  throw sqlFailure(
    SqlErrorId.InvalidSpec,
    'Exists: no data node found; reference it with "node" on the precondition, or attach the precondition to the node',
    { retryable: false },
  );
}

async function whatIsMissing(node: DataNode, env: EnvReader, ctx: TaskContext): Promise<string | undefined> {
  if (node.kind === 's3') {
    try {
      if (node.store === 'local') return (await localExists(node)) ? undefined : `${node.url} does not exist`;
      if (!node.directory) {
        return (await objectExists(env, node.bucket, node.key, ctx.signal))
          ? undefined
          : `${node.url} does not exist`;
      }
      for await (const _key of listKeys(env, node.bucket, node.key, ctx.signal)) return undefined;
      return `${node.url} holds no objects`;
    } catch (error) {
      if (isTaskFailure(error)) throw error;
      throw sqlFailure(SqlErrorId.S3Failed, `Exists: could not check ${node.url}: ${reason(error)}`, {
        cause: error,
      });
    }
  }
  return withSession(node.spec, ctx, async (session) => {
    try {
      if (node.selectQuery) {
        const rows = await session.rows(`SELECT 1 FROM (${selectQueryOf(node)}) AS tl_exists LIMIT 1`);
        return rows.length > 0 ? undefined : `${node.id}: selectQuery returned no rows`;
      }
      const table = node.table!;
      const found =
        session.dialect === 'postgres'
          ? await pgTableExists(session, table)
          : await mySqlTableExists(session, table);
      return found ? undefined : `${node.id}: table ${table} does not exist`;
    } catch (error) {
      throw sqlFailure(SqlErrorId.QueryFailed, `Exists: could not check ${node.id}: ${reason(error)}`, {
        cause: error,
      });
    }
  });
}
