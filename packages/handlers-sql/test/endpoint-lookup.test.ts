/**
 * RdsDatabase and RedshiftDatabase by id: the real RDS and Redshift SDK clients look the endpoint up over
 * their Query protocol. AWS's control plane cannot run here, so a loopback server answers those two
 * calls (DescribeDBInstances, DescribeClusters) with the documented response shapes, pointing at this
 * machine's real PostgreSQL and MariaDB; the SQL then really runs there.
 */
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { definitionObjectToWire } from '@tasklane/core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlActivity } from '../src/index.ts';
import { createDatabase, type TestDatabase } from './databases.ts';

let server: Server;
let endpoint: string;
let pgDb: TestDatabase;
let myDb: TestDatabase;
const calls: string[] = [];
const saved: Record<string, string | undefined> = {};

function instanceXml(id: string, db: TestDatabase, engine: string): string {
  return `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances><DBInstance><DBInstanceIdentifier>${id}</DBInstanceIdentifier><Engine>${engine}</Engine><DBName>${db.name}</DBName><Endpoint><Address>${db.host}</Address><Port>${db.port}</Port></Endpoint></DBInstance></DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`;
}

beforeAll(async () => {
  [pgDb, myDb] = await Promise.all([createDatabase('postgres'), createDatabase('mysql')]);
  for (const [k, v] of Object.entries({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const action = form.get('Action') ?? '';
      calls.push(`${action}:${form.get('DBInstanceIdentifier') ?? form.get('ClusterIdentifier')}`);
      res.setHeader('content-type', 'text/xml');
      const id = form.get('DBInstanceIdentifier');
      if (action === 'DescribeDBInstances' && (id === 'orders-pg' || id === 'orders-maria')) {
        res.end(
          instanceXml(id, id === 'orders-pg' ? pgDb : myDb, id === 'orders-pg' ? 'postgres' : 'mariadb'),
        );
      } else if (action === 'DescribeClusters' && form.get('ClusterIdentifier') === 'warehouse') {
        res.end(
          `<DescribeClustersResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/"><DescribeClustersResult><Clusters><Cluster><ClusterIdentifier>warehouse</ClusterIdentifier><DBName>${pgDb.name}</DBName><Endpoint><Address>${pgDb.host}</Address><Port>${pgDb.port}</Port></Endpoint></Cluster></Clusters></DescribeClustersResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeClustersResponse>`,
        );
      } else {
        res.statusCode = 404;
        const code = action === 'DescribeClusters' ? 'ClusterNotFound' : 'DBInstanceNotFound';
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${code}: ${id ?? form.get('ClusterIdentifier')} not found.</Message></Error><RequestId>r3</RequestId></ErrorResponse>`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all([pgDb?.drop(), myDb?.drop()]);
});

const run = (database: Record<string, string>, script: string) =>
  new MockHandlerEnvironment({
    env: { AWS_ENDPOINT_URL_RDS: endpoint, AWS_ENDPOINT_URL_REDSHIFT: endpoint },
  }).run(
    SqlActivity,
    fakeTask(
      { type: 'SqlActivity', database: { ref: 'Db' }, script },
      { objects: { Db: definitionObjectToWire({ id: 'Db', ...database }, 0) } },
    ),
  );

describe('databases found through the RDS and Redshift APIs', () => {
  it.each(['orders-pg', 'orders-maria'])(
    'RdsDatabase %s: engine, endpoint and database name come from DescribeDBInstances',
    async (id) => {
      const db = id === 'orders-pg' ? pgDb : myDb;
      const { outcome } = await run(
        { type: 'RdsDatabase', rdsInstanceId: id, username: db.user },
        'CREATE TABLE via_rds (n INT); INSERT INTO via_rds VALUES (1)',
      );
      expect(outcome).toEqual({ status: 'FINISHED' });
      expect(await db.query('SELECT n FROM via_rds')).toEqual([{ n: 1 }]);
      expect(calls).toContain(`DescribeDBInstances:${id}`);
    },
  );

  it('RedshiftDatabase by clusterId (spoken to over the PostgreSQL protocol)', async () => {
    const { outcome } = await run(
      { type: 'RedshiftDatabase', clusterId: 'warehouse', username: pgDb.user },
      'CREATE TABLE via_redshift (n INT)',
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    expect(
      await pgDb.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'via_redshift'"),
    ).toEqual([{ n: 1 }]);
  });

  it('an unknown instance or cluster is FAILED naming it and the API’s answer', async () => {
    const rds = await run({ type: 'RdsDatabase', rdsInstanceId: 'ghost', username: 'x' }, 'SELECT 1');
    expect(rds.outcome).toMatchObject({
      status: 'FAILED',
      errorId: 'SqlEndpointLookupFailed',
      errorMessage: expect.stringMatching(/could not look up instance "ghost".*not found/),
    });
    const redshift = await run({ type: 'RedshiftDatabase', clusterId: 'ghost', username: 'x' }, 'SELECT 1');
    expect(redshift.outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlEndpointLookupFailed' });
  });
});
