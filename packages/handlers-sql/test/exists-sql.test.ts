import { definitionObjectToWire } from '@tasklane/core';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exists } from '../src/index.ts';
import { createDatabase, type Kind, type TestDatabase } from './databases.ts';

const env = new MockHandlerEnvironment();

describe.each<Kind>(['postgres', 'mysql'])('Exists on a %s data node', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createDatabase(kind);
    await db.query('CREATE TABLE present (id INT)');
  });
  afterAll(async () => {
    await db?.drop();
  });

  const nodeObject = (fields: Record<string, string>) =>
    definitionObjectToWire({ id: 'Node', type: 'SqlDataNode', database: { ref: 'Db' }, ...fields }, 0);
  const byRef = (fields: Record<string, string>, dbFields: Record<string, string> = {}) =>
    fakeTask(
      { type: 'Exists', node: { ref: 'Node' } },
      { objects: { Node: nodeObject(fields), Db: db.object('Db', dbFields) } },
    );

  it('FINISHED when the table exists', async () => {
    expect((await env.run(Exists, byRef({ table: 'present' }))).outcome).toEqual({ status: 'FINISHED' });
  });

  it('FALSE, not FAILED, when the table is not there', async () => {
    const { outcome } = await env.run(Exists, byRef({ table: 'absent' }));
    expect(outcome).toEqual({ status: 'FALSE', message: 'Node: table absent does not exist' });
  });

  it('checks for a row when the node has a selectQuery', async () => {
    const query = { table: 'present', selectQuery: 'SELECT * FROM present WHERE id = 7' };
    expect((await env.run(Exists, byRef(query))).outcome).toMatchObject({ status: 'FALSE' });
    await db.query('INSERT INTO present VALUES (7)');
    expect((await env.run(Exists, byRef(query))).outcome).toEqual({ status: 'FINISHED' });
  });

  it('finds the node that lists the precondition in its own precondition field', async () => {
    const task = fakeTask(
      { type: 'Exists', id: 'TableReady' },
      {
        objects: {
          Node: definitionObjectToWire(
            {
              id: 'Node',
              type: 'SqlDataNode',
              database: { ref: 'Db' },
              table: 'present',
              precondition: { ref: 'TableReady' },
            },
            0,
          ),
          TableReady: definitionObjectToWire({ id: 'TableReady', type: 'Exists' }, 0),
          Db: db.object('Db'),
        },
      },
    );
    // The attempt's parent is the precondition component, as the service sends it.
    const withParent = fakeTask(
      { type: 'Exists', id: 'TableReady', parent: { ref: 'TableReady' } },
      {
        objects: Object.fromEntries(
          [...task.objects]
            .filter(([id]) => id !== task.attemptId)
            .map(([id]) => [id, task.raw.objects[id]!]),
        ),
      },
    );
    expect((await env.run(Exists, withParent)).outcome).toEqual({ status: 'FINISHED' });
  });

  it('reads the old MySqlDataNode form, with the connection on the node itself', async () => {
    const node = definitionObjectToWire(
      {
        id: 'Node',
        type: 'MySqlDataNode',
        connectionString: db.jdbcUrl,
        jdbcDriverClass: db.driverClass,
        username: db.user,
        table: 'present',
      },
      0,
    );
    const task = fakeTask({ type: 'Exists', node: { ref: 'Node' } }, { objects: { Node: node } });
    expect((await env.run(Exists, task)).outcome).toEqual({ status: 'FINISHED' });
  });

  it('FAILED, not FALSE, when the database cannot be reached', async () => {
    const { outcome } = await env.run(
      Exists,
      byRef({ table: 'present' }, { connectionString: db.jdbcUrl.replace(`:${db.port}/`, ':1/') }),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlConnectFailed' });
  });
});
