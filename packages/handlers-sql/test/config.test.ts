import { describe, expect, it } from 'vitest';
import { connectionSpec, parseJdbcUrl } from '../src/index.ts';
import { PipelineObject } from '../src/objects.ts';

const db = (fields: Record<string, string | string[]>) =>
  PipelineObject.fromFields(
    'Db',
    Object.entries(fields).flatMap(([key, v]) =>
      (Array.isArray(v) ? v : [v]).map((stringValue) => ({ key, stringValue })),
    ),
  );
const noEnv = () => undefined;

describe('JDBC connection strings', () => {
  it('parses host, port, database and properties for each scheme', () => {
    expect(parseJdbcUrl('jdbc:postgresql://db.example:6543/sales?ssl=true&user=u', 'x')).toMatchObject({
      dialect: 'postgres',
      host: 'db.example',
      port: 6543,
      database: 'sales',
      properties: new Map([
        ['ssl', 'true'],
        ['user', 'u'],
      ]),
    });
    expect(parseJdbcUrl('jdbc:mariadb://h/d', 'x')).toMatchObject({ dialect: 'mysql', port: 3306 });
    expect(parseJdbcUrl('jdbc:redshift://c.x.redshift.amazonaws.com/dev', 'x')).toMatchObject({
      dialect: 'postgres',
      port: 5439,
    });
    expect(parseJdbcUrl('jdbc:mysql://[::1]:3307/d', 'x')).toMatchObject({ host: '::1', port: 3307 });
  });

  it('refuses unknown schemes and driver classes, naming them', async () => {
    expect(() => parseJdbcUrl('jdbc:oracle:thin:@h:1521:x', 'JdbcDatabase "Db"')).toThrow(/must look like/);
    // A malformed string is quoted back without its credentials.
    expect(() => parseJdbcUrl('jdbc:postgresql//u:hunter2@h/d?password=hunter2', 'x')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
    expect(() => parseJdbcUrl('jdbc:sqlserver://h/d', 'JdbcDatabase "Db"')).toThrow(
      /no driver for "jdbc:sqlserver:"/,
    );
    await expect(
      connectionSpec(
        db({
          type: 'JdbcDatabase',
          connectionString: 'jdbc:postgresql://h/d',
          jdbcDriverClass: 'com.mysql.jdbc.Driver',
        }),
        noEnv,
      ),
    ).rejects.toThrow(/speaks mysql, but the connection string is for postgres/);
  });

  it('takes TLS from jdbcProperties with each driver family’s meaning, and keeps the password out of the label', async () => {
    const spec = (props: string[], url = 'jdbc:postgresql://h/d') =>
      connectionSpec(
        db({
          type: 'JdbcDatabase',
          connectionString: url,
          jdbcProperties: props,
          username: 'u',
          '*password': 's3cret',
        }),
        noEnv,
      );
    expect((await spec([])).tls).toBe(false);
    expect((await spec(['ssl=true'])).tls).toEqual({ rejectUnauthorized: true });
    expect((await spec(['sslmode=require'])).tls).toEqual({ rejectUnauthorized: false });
    expect((await spec(['sslmode=verify-full'])).tls).toEqual({ rejectUnauthorized: true });
    expect((await spec(['useSSL=true', 'verifyServerCertificate=false'], 'jdbc:mysql://h/d')).tls).toEqual({
      rejectUnauthorized: false,
    });
    expect((await spec([], 'jdbc:postgresql://h/d?sslmode=require')).tls).toEqual({
      rejectUnauthorized: false,
    });
    const s = await spec([]);
    expect(s).toMatchObject({
      user: 'u',
      password: 's3cret',
      label: 'JdbcDatabase "Db" (postgres://h:5432/d)',
    });
    await expect(spec(['sslmode=sometimes'])).rejects.toThrow(/unknown sslmode "sometimes"/);
  });
});
