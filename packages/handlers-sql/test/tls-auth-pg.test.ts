import { definitionObjectToWire } from '@tasklane/core';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlActivity } from '../src/index.ts';
import { startPrivatePg, type PrivatePg } from './private-pg.ts';

const env = new MockHandlerEnvironment();
let server: PrivatePg;

beforeAll(async () => {
  server = await startPrivatePg();
});
afterAll(async () => {
  await server?.stop();
});

const run = (script: string, fields: Record<string, string | string[]>) =>
  env.run(
    SqlActivity,
    fakeTask(
      { type: 'SqlActivity', database: { ref: 'Db' }, script },
      {
        objects: {
          Db: definitionObjectToWire(
            {
              id: 'Db',
              type: 'JdbcDatabase',
              connectionString: `jdbc:postgresql://127.0.0.1:${server.port}/postgres`,
              jdbcDriverClass: 'org.postgresql.Driver',
              username: server.user,
              '*password': server.password,
              ...fields,
            },
            0,
          ),
        },
      },
    ),
  );

describe('PostgreSQL with passwords and TLS only (a private server)', () => {
  it('sslmode=require connects encrypted', async () => {
    const { outcome } = await run(
      'CREATE TABLE tls_seen AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      { jdbcProperties: ['sslmode=require'] },
    );
    expect(outcome).toEqual({ status: 'FINISHED' });
    const check = await run(
      "DO $$ BEGIN IF NOT (SELECT bool_and(ssl) FROM tls_seen) THEN RAISE EXCEPTION 'not tls'; END IF; END $$",
      {
        jdbcProperties: ['sslmode=require'],
      },
    );
    expect(check.outcome).toEqual({ status: 'FINISHED' });
  });

  it('ssl=true verifies the certificate: a self-signed one is refused, saying so', async () => {
    const { outcome } = await run('SELECT 1', { jdbcProperties: ['ssl=true'] });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlConnectFailed' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(/self[- ]signed certificate/);
  });

  it('without TLS the server refuses the login, naming the missing encryption', async () => {
    const { outcome } = await run('SELECT 1', {});
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlConnectFailed' });
    expect((outcome as { errorMessage: string }).errorMessage).toMatch(/no encryption/);
  });

  it('a wrong password is FAILED naming the user, never the password', async () => {
    const { outcome } = await run('SELECT 1', {
      jdbcProperties: ['sslmode=require'],
      '*password': 'not-the-password',
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: 'SqlConnectFailed' });
    const message = (outcome as { errorMessage: string }).errorMessage;
    expect(message).toMatch(/password authentication failed for user "tl_secure"/);
    expect(message).not.toContain('not-the-password');
    expect(message).not.toContain(server.password);
  });
});
