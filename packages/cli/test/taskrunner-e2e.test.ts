/**
 * End-to-end: the real bin/tasklane started with the Java Task Runner's command line (credentials file
 * included) against the emulator and its S3, on each runtime whose app is built. The runner sees no
 * AWS_* credentials in its environment: whatever the service sees comes from the file.
 */
import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  DataPipelineClient,
  PutPipelineDefinitionCommand,
} from '@aws-sdk/client-data-pipeline';
import { emulatorClientConfig, startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runnerBin } from './runner-process.ts';
import { startCountingProxy, startTlsFront, type CountingProxy, type TlsFront } from './taskrunner-proxy.ts';

// Like e2e.test.ts, every runtime app by default; TASKLANE_TASKRUNNER_RUNTIMES=node narrows a local run.
const RUNTIMES = (process.env.TASKLANE_TASKRUNNER_RUNTIMES ?? 'node,bun,deno').split(',') as Array<
  'node' | 'bun' | 'deno'
>;
const ACCESS_ID = 'AKIDFROMCREDENTIALSFILE';
const PRIVATE_KEY = 'private-key-from-the-file-never-logged';

/** The machine's environment without any AWS setting, plus the standard S3 endpoint variable. */
function childEnv(emu: Emulator): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('AWS_') && !k.startsWith('TASKLANE_')) env[k] = v;
  return { ...env, AWS_ENDPOINT_URL_S3: emu.endpoint, NO_COLOR: '1', TASKLANE_PROGRESS_INTERVAL: '500ms' };
}

describe.each(RUNTIMES)('tasklane taskrunner on %s', (runtime) => {
  let emu: Emulator;
  let dp: DataPipelineClient;
  let dir: string;
  const procs: GroupProcess[] = [];
  const proxies: Array<CountingProxy | TlsFront> = [];

  beforeAll(async () => {
    emu = await startEmulator({ longPollMs: 1000, s3Buckets: ['logs'] });
    dp = new DataPipelineClient(emulatorClientConfig(emu));
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop(5000)));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    dp?.destroy();
    await emu?.close();
  });

  const start = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const p = spawnGroup(runnerBin(runtime), ['taskrunner', ...args], {
      env: { ...childEnv(emu), ...env },
      cwd: dir,
    });
    procs.push(p);
    return p;
  };

  const credentialsFile = () => {
    const file = join(dir, 'credentials.json');
    writeFileSync(
      file,
      JSON.stringify({ 'access-id': ACCESS_ID, 'private-key': PRIVATE_KEY, endpoint: emu.endpoint }),
    );
    return file;
  };

  async function runPipeline(
    group: string,
    name: string,
    logUri = 's3://logs/pipelines/',
    command = 'echo out-line; echo err-line >&2',
    whenRunning?: () => void,
  ): Promise<{ pipelineId: string; taskId: string }> {
    const { pipelineId } = await dp.send(
      new CreatePipelineCommand({ name, uniqueId: `${name}-${Date.now()}` }),
    );
    const field = (key: string, stringValue: string) => ({ key, stringValue });
    await dp.send(
      new PutPipelineDefinitionCommand({
        pipelineId,
        pipelineObjects: [
          {
            id: 'Default',
            name: 'Default',
            fields: [
              field('scheduleType', 'ondemand'),
              field('workerGroup', group),
              field('pipelineLogUri', logUri),
            ],
          },
          {
            id: 'Hello',
            name: 'Hello',
            fields: [
              field('type', 'ShellCommandActivity'),
              field('command', command),
              { key: 'parent', refValue: 'Default' },
            ],
          },
        ],
      }),
    );
    await dp.send(new ActivatePipelineCommand({ pipelineId }));
    if (whenRunning) {
      await emu.control.waitFor(
        (obs) => Object.values(obs.tasks).some((t) => t.pipelineId === pipelineId && t.acks > 0),
        60_000,
      );
      whenRunning();
    }
    const o = await emu.control.waitFor(
      (obs) => Object.values(obs.tasks).some((t) => t.pipelineId === pipelineId && t.terminalStatus),
      60_000,
    );
    const task = Object.values(o.tasks).find((t) => t.pipelineId === pipelineId)!;
    expect(task.errorMessage).toBeUndefined();
    expect(task.terminalStatus).toBe('FINISHED');
    return { pipelineId: pipelineId!, taskId: task.taskId };
  }

  const s3Text = (key: string) => new TextDecoder().decode(emu.s3!.getObject('logs', key));

  it("runs a pipeline with the Java runner's command line; logs land where the Java runner puts them", async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-taskrunner-'));
    const group = `java-${runtime}`;
    const p = start([
      '--config',
      credentialsFile(),
      `--workerGroup=${group}`,
      '--region=us-east-1',
      '--logUri=s3://logs/runner',
      `--taskrunnerId=tr-java-${runtime}`,
    ]);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    const { pipelineId, taskId } = await runPipeline(group, `java-${runtime}`);

    const heartbeat = emu.control.observations().heartbeats[`tr-java-${runtime}`];
    expect(heartbeat).toMatchObject({ accessKeyId: ACCESS_ID, workerGroup: group });

    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);

    // The runner's own log: hourly files under output/logs, pushed to --logUri/<taskrunnerId>/ on shutdown.
    const local = readdirSync(join(dir, 'output', 'logs')).filter((f) => f.startsWith('TaskRunner.log.'));
    expect(local.length).toBeGreaterThan(0);
    expect(local[0]).toMatch(/^TaskRunner\.log\.\d{4}-\d{2}-\d{2}-\d{2}$/);
    const runnerKeys = emu.s3!.listKeys('logs', `runner/tr-java-${runtime}/`);
    expect(runnerKeys).toEqual(local.map((f) => `runner/tr-java-${runtime}/${f}`));
    const runnerLog = runnerKeys.map(s3Text).join('');
    expect(runnerLog).toContain('tasklane runner stopped');

    // The attempt's logs under pipelineLogUri: pipeline id / component / instance / attempt.
    const attemptKeys = emu.s3!.listKeys('logs', `pipelines/${pipelineId}/Hello/`);
    expect(attemptKeys).toHaveLength(3);
    const prefix = attemptKeys[0]!.slice(0, attemptKeys[0]!.lastIndexOf('/') + 1);
    expect(prefix).toMatch(
      new RegExp(`^pipelines/${pipelineId}/Hello/@Hello_[^/]+/@Hello_[^/]+_Attempt=1/$`),
    );
    expect(attemptKeys.sort()).toEqual(['Activity.log', 'StdError', 'StdOutput'].map((f) => prefix + f));
    expect(s3Text(`${prefix}StdOutput`)).toBe('out-line\n');
    expect(s3Text(`${prefix}StdError`)).toBe('err-line\n');
    expect(s3Text(`${prefix}Activity.log`)).toContain(taskId.slice(0, 64));

    // The credentials were never echoed: not on stdout/stderr, not in a log file, not in S3.
    expect(p.output()).not.toContain(PRIVATE_KEY);
    expect(runnerLog).not.toContain(PRIVATE_KEY);
    expect(emu.control.observations().violations).toEqual([]);
  }, 120_000);

  it('sends every AWS call through --proxyHost/--proxyPort with Basic authentication', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-taskrunner-'));
    const proxy = await startCountingProxy();
    proxies.push(proxy);
    const group = `proxy-${runtime}`;
    const p = start([
      `--accessId=${ACCESS_ID}`,
      '--secretKey',
      PRIVATE_KEY,
      '--endpoint',
      emu.endpoint,
      `--workerGroup=${group}`,
      '--logUri=s3://logs/proxied',
      '--taskrunnerId',
      `tr-proxy-${runtime}`,
      '--tasks=1',
      '--proxyHost=127.0.0.1',
      `--proxyPort=${proxy.port}`,
      '--proxyUsername=proxy-user',
      '--proxyPassword=proxy-password-never-logged',
    ]);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    await runPipeline(group, `proxy-${runtime}`);
    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);

    const upstream = new URL(emu.endpoint).host;
    // Data Pipeline calls (polls, progress, status, heartbeats) and S3 uploads all went through it.
    expect(proxy.seen.filter((s) => s === `POST ${upstream}`).length).toBeGreaterThan(3);
    expect(proxy.seen.filter((s) => s === `PUT ${upstream}`).length).toBeGreaterThanOrEqual(4);
    expect(proxy.seen.every((s) => s.endsWith(upstream))).toBe(true);
    const basic = `Basic ${Buffer.from('proxy-user:proxy-password-never-logged').toString('base64')}`;
    expect(proxy.authorizations.length).toBe(proxy.seen.length);
    expect(new Set(proxy.authorizations)).toEqual(new Set([basic]));
    expect(emu.control.observations().heartbeats[`tr-proxy-${runtime}`]?.accessKeyId).toBe(ACCESS_ID);
    expect(emu.s3!.listKeys('logs', `proxied/tr-proxy-${runtime}/`).length).toBeGreaterThan(0);
    expect(p.output()).not.toContain('proxy-password-never-logged');
    expect(p.output()).not.toContain(PRIVATE_KEY);
  }, 120_000);

  it('a failed attempt-log upload is a warning and a metric; the task still ends FINISHED', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-taskrunner-'));
    const group = `nobucket-${runtime}`;
    const httpPort = await freePort();
    const p = start(['--config', credentialsFile(), `--workerGroup=${group}`], {
      TASKLANE_HTTP_PORT: String(httpPort),
    });
    await p.waitForOutput(/tasklane runner started/, 30_000);
    await runPipeline(group, `nobucket-${runtime}`, 's3://no-such-bucket/logs');
    await p.waitForOutput(/"bucket":"no-such-bucket".*"msg":"log upload failed after retries"/, 30_000);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/tasklane_log_uploads_failed_total\{kind="attempt"\} [1-3]\b/);
    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 120_000);

  // Deno's node:tls trusts no extra CA from the environment (the tunnel opens, the self-signed front is
  // refused), so the HTTPS case runs where NODE_EXTRA_CA_CERTS is read: Node and Bun.
  it.runIf(runtime !== 'deno')(
    'tunnels HTTPS endpoints through the proxy with CONNECT',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'tl-taskrunner-'));
      const proxy = await startCountingProxy();
      const front = await startTlsFront(emu.endpoint, dir);
      proxies.push(proxy, front);
      const group = `connect-${runtime}`;
      const p = start(
        [
          `--accessId=${ACCESS_ID}`,
          `--secretKey=${PRIVATE_KEY}`,
          `--endpoint=${front.endpoint}`,
          `--workerGroup=${group}`,
          '--logUri=s3://logs/tunneled',
          `--taskrunnerId=tr-connect-${runtime}`,
          '--proxyHost=127.0.0.1',
          `--proxyPort=${proxy.port}`,
        ],
        { AWS_ENDPOINT_URL_S3: front.endpoint, NODE_EXTRA_CA_CERTS: front.caFile },
      );
      await p.waitForOutput(/tasklane runner started/, 30_000);
      await runPipeline(group, `connect-${runtime}`);
      p.signal('SIGTERM');
      expect(await p.exited).toBe(0);
      const tunnel = `CONNECT ${new URL(front.endpoint).host}`;
      expect(proxy.seen.length).toBeGreaterThan(0);
      expect(proxy.seen.every((s) => s === tunnel)).toBe(true);
      expect(emu.control.observations().heartbeats[`tr-connect-${runtime}`]?.accessKeyId).toBe(ACCESS_ID);
      expect(emu.s3!.listKeys('logs', `tunneled/tr-connect-${runtime}/`).length).toBeGreaterThan(0);
    },
    120_000,
  );

  it('SIGTERM during a task: the runner drains, then uploads the attempt logs and its own before exiting', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-taskrunner-'));
    const group = `drain-${runtime}`;
    const p = start([
      '--config',
      credentialsFile(),
      `--workerGroup=${group}`,
      '--logUri=s3://logs/drain',
      `--taskrunnerId=tr-drain-${runtime}`,
    ]);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    const { pipelineId } = await runPipeline(
      group,
      `drain-${runtime}`,
      's3://logs/drained/',
      'sleep 2; echo finished-after-sigterm',
      () => p.signal('SIGTERM'),
    );
    expect(await p.exited).toBe(0);
    const keys = emu.s3!.listKeys('logs', `drained/${pipelineId}/Hello/`);
    const stdout = keys.find((k) => k.endsWith('/StdOutput'));
    expect(stdout).toBeDefined();
    expect(s3Text(stdout!)).toBe('finished-after-sigterm\n');
    const runnerLog = emu.s3!.listKeys('logs', `drain/tr-drain-${runtime}/`).map(s3Text).join('');
    expect(runnerLog).toContain('shutdown signal received');
    expect(runnerLog).toContain('tasklane runner stopped');
  }, 120_000);
});
