import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/index.ts';
import { parseTaskRunnerArgs } from '../src/taskrunner/args.ts';
import { captureHost } from './host.ts';

const dir = mkdtempSync(join(tmpdir(), 'tl-taskrunner-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

/** Runs `tasklane taskrunner ARGS` in-process; returns the exit code and stderr. */
async function taskrunner(...args: string[]): Promise<{ code: number; err: string; out: string }> {
  const host = captureHost();
  const code = await main(['taskrunner', ...args], host);
  return { code, err: host.err, out: host.out };
}

describe('tasklane taskrunner: the Java command line', () => {
  it('reads credentials.json; flags take precedence over the file', () => {
    const config = file('credentials.json', {
      'access-id': 'AKIDFILE',
      'private-key': 'file-secret',
      endpoint: 'datapipeline.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      'log-uri': 's3://file-bucket/logs/',
    });
    const fromFile = parseTaskRunnerArgs(['--config', config, '--workerGroup=wg']);
    expect(fromFile).toMatchObject({
      workerGroup: 'wg',
      credentials: { accessKeyId: 'AKIDFILE', secretAccessKey: 'file-secret' },
      endpoint: 'https://datapipeline.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      logUri: { bucket: 'file-bucket', prefix: 'logs' },
      output: 'output',
      tasks: 2,
      s3NoProxy: false,
    });
    const flags = parseTaskRunnerArgs([
      `--config=${config}`,
      '--accessId=AKIDFLAG',
      '--secretKey',
      'flag-secret',
      '--workerGroup',
      'wg',
      '--region=us-west-2',
      '--endpoint=http://127.0.0.1:9',
      '--logUri=s3://flag-bucket',
      '--tasks=5',
      '--output=/var/tr',
      '--taskrunnerId=tr-1',
      '--s3NoProxy',
    ]);
    expect(flags).toMatchObject({
      credentials: { accessKeyId: 'AKIDFLAG', secretAccessKey: 'flag-secret' },
      region: 'us-west-2',
      endpoint: 'http://127.0.0.1:9',
      logUri: { bucket: 'flag-bucket', prefix: '' },
      tasks: 5,
      output: '/var/tr',
      taskrunnerId: 'tr-1',
      s3NoProxy: true,
    });
  });

  it('expands a leading ~/ in --config=~/credentials.json, which the shell leaves as it is', async () => {
    const r = await taskrunner('--workerGroup=wg', '--config=~/tl-no-such-credentials.json');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot read ${join(homedir(), 'tl-no-such-credentials.json')}`);
  });

  it('defaults the region to us-east-1 and falls back to the SDK chain without credentials', () => {
    const args = parseTaskRunnerArgs(['--workerGroup=wg']);
    expect(args.region).toBe('us-east-1');
    expect(args.credentials).toBeUndefined();
    expect(parseTaskRunnerArgs(['--workergroup=wg', '--accessID=A', '--secretkey=B']).credentials).toEqual({
      accessKeyId: 'A',
      secretAccessKey: 'B',
    });
  });

  it('takes the proxy flags; the port defaults to 8080', () => {
    expect(parseTaskRunnerArgs(['--workerGroup=wg', '--proxyHost=proxy.corp']).proxy).toEqual({
      host: 'proxy.corp',
      port: 8080,
    });
    expect(
      parseTaskRunnerArgs([
        '--workerGroup=wg',
        '--proxyHost',
        'proxy.corp',
        '--proxyPort',
        '3128',
        '--proxyUsername=u',
        '--proxyPassword=p',
      ]).proxy,
    ).toEqual({ host: 'proxy.corp', port: 3128, username: 'u', password: 'p' });
  });

  it('--help prints the replacement command line and exits 0', async () => {
    const r = await taskrunner('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('java -jar TaskRunner-1.0.jar --config ~/credentials.json');
    expect(r.out).toContain('tasklane taskrunner --config ~/credentials.json --workerGroup=myWorkerGroup');
  });

  it.each([
    ['--proxyDomain=CORP', '--proxyDomain: not supported (NTLM proxy authentication)'],
    ['--proxyWorkstation=PC1', '--proxyWorkstation: not supported (NTLM proxy authentication)'],
    ['--jdbcDriverS3Path=s3://b/drivers', '--jdbcDriverS3Path: not supported'],
  ])('%s exits 2 with "not supported"', async (flag, message) => {
    const r = await taskrunner('--workerGroup=wg', '--proxyHost=p', flag);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it.each([
    [['--workerGroup=wg', '--bogus=1'], 'unknown option --bogus'],
    [['--workerGroup=wg', '--staging', 'x'], 'unknown option --staging'],
    [['--workerGroup=wg', 'stray'], 'unexpected argument #2'],
    [['--region=us-east-1'], '--workerGroup is required'],
    [['--workerGroup=wg', '--accessId=A'], '--accessId needs --secretKey'],
    [['--workerGroup=wg', '--secretKey=S'], '--secretKey needs --accessId'],
    [['--workerGroup=wg', '--tasks=0'], '--tasks: expected an integer from 1'],
    [['--workerGroup=wg', '--tasks'], '--tasks needs a value'],
    [['--workerGroup=wg', '--logUri=/tmp/logs'], '--logUri: expected s3://bucket/prefix'],
    [['--workerGroup=wg', '--endpoint=ftp://x'], '--endpoint: expected an http(s) URL'],
    [['--workerGroup=wg', '--proxyPort=3128'], '--proxyPort needs --proxyHost'],
    [
      ['--workerGroup=wg', '--proxyHost=p', '--proxyPort=70000'],
      '--proxyPort: expected an integer from 1 to 65535',
    ],
    [
      ['--workerGroup=wg', '--proxyHost=p', '--proxyUsername=u'],
      '--proxyUsername and --proxyPassword go together',
    ],
    [['--workerGroup=wg', '--workerGroup=other'], '--workerGroup is given twice'],
    [['--workerGroup=wg', '--config', join(dir, 'missing.json')], '--config: cannot read'],
  ])('%j exits 2: %s', async (args, message) => {
    const r = await taskrunner(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('exits 2 on a bad credentials file, naming the key and never the values', async () => {
    const typo = file('typo.json', { 'acces-id': 'AKID', 'private-key': 'very-secret-value' });
    let r = await taskrunner('--workerGroup=wg', '--config', typo);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown key "acces-id"');
    expect(r.err).not.toContain('very-secret-value');
    r = await taskrunner('--workerGroup=wg', '--config', file('bad.json', '{"access-id": '));
    expect(r.err).toContain('is not valid JSON');
    r = await taskrunner('--workerGroup=wg', '--config', file('num.json', { 'access-id': 7 }));
    expect(r.err).toContain('"access-id" in');
  });

  it('never echoes a secret typed in the wrong place', async () => {
    const r = await taskrunner('--workerGroup=wg', '--secretKeyy=hunter2-secret');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --secretKeyy');
    expect(r.err).not.toContain('hunter2-secret');
  });
});
