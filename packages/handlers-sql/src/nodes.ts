import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionSpec } from './database/config.ts';
import type { ConnectionSpec } from './database/spec.ts';
import { SqlErrorId, sqlFailure } from './errors.ts';
import { dataFormatOf, type DataFormat } from './format/data-format.ts';
import { PipelineObject, type EnvReader, type ObjectResolver } from './objects.ts';
import { parseS3Url } from './s3.ts';

/** A table or query in a database (`SqlDataNode`, `MySqlDataNode`). */
export interface SqlNode {
  readonly kind: 'sql';
  readonly id: string;
  readonly spec: ConnectionSpec;
  readonly table: string | undefined;
  readonly selectQuery: string | undefined;
  readonly insertQuery: string | undefined;
  readonly createTableSql: string | undefined;
}

/**
 * One object (`filePath`) or every object under a prefix (`directoryPath`) in S3 (`S3DataNode`). A
 * local path (`/data/in.csv`, `file:///data/`) works too, for data that stays on the runner's host.
 */
export interface S3Node {
  readonly kind: 's3';
  readonly id: string;
  /** `local`: `bucket` is empty and `key` is the absolute path (a directory ends with `/`). */
  readonly store: 's3' | 'local';
  readonly bucket: string;
  /** The object key, or the prefix (ending in `/`) of a directory. */
  readonly key: string;
  readonly directory: boolean;
  readonly format: DataFormat;
  readonly gzip: boolean;
  /** `s3://bucket/key` for messages. */
  readonly url: string;
}

export type DataNode = SqlNode | S3Node;

/** Reads a data node object into a {@link DataNode}; unsupported types fail with CopyUnsupported. */
export async function dataNode(
  node: PipelineObject,
  objects: ObjectResolver,
  env: EnvReader,
  signal?: AbortSignal,
): Promise<DataNode> {
  const type = node.type;
  const what = `${type ?? 'data node'} "${node.id}"`;
  if (type === 'S3DataNode') {
    const filePath = node.get('filePath');
    const directoryPath = node.get('directoryPath');
    if ((filePath === undefined) === (directoryPath === undefined)) {
      throw sqlFailure(
        SqlErrorId.InvalidSpec,
        `${what}: exactly one of filePath or directoryPath is required`,
        {
          retryable: false,
        },
      );
    }
    const url = (filePath ?? directoryPath)!;
    const parsed = parseS3Url(url) ?? localPath(url);
    if (!parsed) {
      throw sqlFailure(
        SqlErrorId.InvalidSpec,
        `${what}: "${url}" is neither an s3:// URL nor an absolute path`,
      );
    }
    const key =
      directoryPath !== undefined && parsed.key !== '' && !parsed.key.endsWith('/')
        ? `${parsed.key}/`
        : parsed.key;
    const compression = (node.get('compression') ?? 'none').toLowerCase();
    if (compression !== 'none' && compression !== 'gzip') {
      throw sqlFailure(
        SqlErrorId.UnsupportedCopy,
        `${what}: compression "${compression}" is not supported (none, gzip)`,
      );
    }
    const [formatObject] = await objects.refs('dataFormat', node);
    const store = parsed.bucket === '' ? 'local' : 's3';
    return {
      kind: 's3',
      id: node.id,
      store,
      bucket: parsed.bucket,
      key,
      directory: directoryPath !== undefined,
      format: dataFormatOf(formatObject),
      gzip: compression === 'gzip',
      url: store === 'local' ? key : `s3://${parsed.bucket}/${key}`,
    };
  }
  if (type === 'SqlDataNode' || type === 'MySqlDataNode') {
    // MySqlDataNode (the old form) carries its connection on itself rather than in a database object.
    const db =
      type === 'MySqlDataNode' && node.get('connectionString') !== undefined
        ? new PipelineObject(node.id, withType(node, 'JdbcDatabase'), node.refs)
        : await objects.requireRef('database', node);
    const table = node.get('table');
    const selectQuery = node.get('selectQuery');
    if (!table && !selectQuery) {
      throw sqlFailure(SqlErrorId.InvalidSpec, `${what}: one of table or selectQuery is required`, {
        retryable: false,
      });
    }
    return {
      kind: 'sql',
      id: node.id,
      spec: await connectionSpec(db, env, signal),
      table,
      selectQuery,
      insertQuery: node.get('insertQuery'),
      createTableSql: node.get('createTableSql'),
    };
  }
  throw sqlFailure(
    SqlErrorId.UnsupportedCopy,
    `${what}: CopyActivity and Exists support S3DataNode, SqlDataNode and MySqlDataNode`,
    { retryable: false },
  );
}

function localPath(url: string): { bucket: string; key: string } | undefined {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return isAbsolute(path) ? { bucket: '', key: path } : undefined;
}

function withType(node: PipelineObject, type: string): Map<string, readonly string[]> {
  const values = new Map(node.values);
  values.set('type', [type]);
  if (!values.has('jdbcDriverClass')) values.set('jdbcDriverClass', ['com.mysql.jdbc.Driver']);
  return values;
}
