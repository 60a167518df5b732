import type { EnvReader } from '../objects.ts';
import { isTaskFailure, reason, SqlErrorId, sqlFailure } from '../errors.ts';
import { RDS_ENGINES, type Dialect } from './spec.ts';

/** Where an RDS instance or a Redshift cluster listens, as its API reports it. */
export interface FoundEndpoint {
  readonly dialect: Dialect;
  readonly host: string;
  readonly port: number | undefined;
  readonly database: string | undefined;
}

function region(fieldRegion: string | undefined, env: EnvReader): string {
  return fieldRegion ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1';
}

/** DescribeDBInstances for one instance id: endpoint, port, engine and the initial database name. */
export async function lookupRdsInstance(
  instanceId: string,
  fieldRegion: string | undefined,
  env: EnvReader,
  signal?: AbortSignal,
): Promise<FoundEndpoint & { port: number }> {
  const sdk = await import('@aws-sdk/client-rds');
  const endpoint = env('AWS_ENDPOINT_URL_RDS') ?? env('AWS_ENDPOINT_URL');
  const client = new sdk.RDSClient({ region: region(fieldRegion, env), ...(endpoint ? { endpoint } : {}) });
  try {
    const reply = await client.send(
      new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }),
      { abortSignal: signal },
    );
    const instance = reply.DBInstances?.[0];
    const host = instance?.Endpoint?.Address;
    if (!instance || !host) throw new Error('the instance has no endpoint (is it still being created?)');
    const dialect = RDS_ENGINES[instance.Engine ?? ''];
    if (!dialect) {
      throw sqlFailure(
        SqlErrorId.UnknownDriver,
        `RdsDatabase: instance "${instanceId}" runs engine "${instance.Engine}", which this package has no driver for`,
        { retryable: false },
      );
    }
    return {
      dialect,
      host,
      port: instance.Endpoint?.Port ?? (dialect === 'postgres' ? 5432 : 3306),
      database: instance.DBName,
    };
  } catch (error) {
    if (isTaskFailure(error)) throw error;
    throw sqlFailure(
      SqlErrorId.EndpointLookupFailed,
      `RdsDatabase: could not look up instance "${instanceId}": ${reason(error)}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

/** DescribeClusters for one cluster id: endpoint, port and database name. */
export async function lookupRedshiftCluster(
  clusterId: string,
  fieldRegion: string | undefined,
  env: EnvReader,
  signal?: AbortSignal,
): Promise<FoundEndpoint> {
  const sdk = await import('@aws-sdk/client-redshift');
  const endpoint = env('AWS_ENDPOINT_URL_REDSHIFT') ?? env('AWS_ENDPOINT_URL');
  const client = new sdk.RedshiftClient({
    region: region(fieldRegion, env),
    ...(endpoint ? { endpoint } : {}),
  });
  try {
    const reply = await client.send(new sdk.DescribeClustersCommand({ ClusterIdentifier: clusterId }), {
      abortSignal: signal,
    });
    const cluster = reply.Clusters?.[0];
    const host = cluster?.Endpoint?.Address;
    if (!cluster || !host) throw new Error('the cluster has no endpoint (is it still being created?)');
    return { dialect: 'postgres', host, port: cluster.Endpoint?.Port, database: cluster.DBName };
  } catch (error) {
    throw sqlFailure(
      SqlErrorId.EndpointLookupFailed,
      `RedshiftDatabase: could not look up cluster "${clusterId}": ${reason(error)}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
