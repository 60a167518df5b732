import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main, resolveRunConfig } from '../src/index.ts';
import { captureHost } from './host.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('tasklane run configuration', () => {
  describe('precedence', () => {
    it('should take defaults when nothing is given', () => {
      const { config, sources } = resolveRunConfig(['--worker-group', 'wg'], captureHost());
      expect(config).toMatchObject({
        concurrency: 2,
        progressIntervalMs: 60_000,
        shutdownTimeoutMs: 60_000,
        region: 'us-east-1',
        logFormat: 'json',
        plugins: ['@tasklane/handlers-shell'],
      });
      expect(sources.concurrency).toBe('default');
    });

    it('should prefer flags over env over file over defaults', () => {
      const file = fixture('config.yaml');
      const fileOnly = resolveRunConfig(['--config', file], captureHost());
      expect(fileOnly.config).toMatchObject({
        workerGroups: ['from-file'],
        concurrency: 5,
        progressIntervalMs: 30_000,
        logLevel: 'debug',
      });
      expect(fileOnly.sources).toMatchObject({ 'worker-group': 'file', concurrency: 'file' });

      const env = { TASKLANE_CONCURRENCY: '7', TASKLANE_WORKER_GROUP: 'env-a,env-b', TASKLANE_CONFIG: file };
      const envOverFile = resolveRunConfig([], captureHost(env));
      expect(envOverFile.config).toMatchObject({
        workerGroups: ['env-a', 'env-b'],
        concurrency: 7,
        progressIntervalMs: 30_000,
      });
      expect(envOverFile.sources).toMatchObject({ concurrency: 'env', 'progress-interval': 'file' });

      const flagOverEnv = resolveRunConfig(
        ['--concurrency', '9', '--worker-group', 'f1', '--worker-group', 'f2'],
        captureHost(env),
      );
      expect(flagOverEnv.config).toMatchObject({
        workerGroups: ['f1', 'f2'],
        concurrency: 9,
        logLevel: 'debug',
      });
      expect(flagOverEnv.sources).toMatchObject({
        concurrency: 'flag',
        'worker-group': 'flag',
        'log-level': 'file',
      });
    });

    it('should take the region from AWS_REGION when not given', () => {
      expect(
        resolveRunConfig(['--worker-group', 'wg'], captureHost({ AWS_REGION: 'eu-west-1' })).config.region,
      ).toBe('eu-west-1');
      expect(
        resolveRunConfig(
          ['--worker-group', 'wg', '--region', 'ap-south-1'],
          captureHost({ AWS_REGION: 'eu-west-1' }),
        ).config.region,
      ).toBe('ap-south-1');
    });

    it('should parse every duration form', () => {
      const { config } = resolveRunConfig(
        [
          '--worker-group',
          'w',
          '--progress-interval',
          '500ms',
          '--shutdown-timeout',
          '2m',
          '--runner-heartbeat-interval',
          '1h',
        ],
        captureHost(),
      );
      expect(config).toMatchObject({
        progressIntervalMs: 500,
        shutdownTimeoutMs: 120_000,
        runnerHeartbeatIntervalMs: 3_600_000,
      });
    });

    it('should leave the Redis turn to the coordinator unless given, and take 0', () => {
      expect(resolveRunConfig(['--worker-group', 'w'], captureHost()).config.redisTurnMs).toBeUndefined();
      const flag = resolveRunConfig(['--worker-group', 'w', '--redis-turn', '0'], captureHost());
      expect(flag.config.redisTurnMs).toBe(0);
      const env = resolveRunConfig(['--worker-group', 'w'], captureHost({ TASKLANE_REDIS_TURN: '100ms' }));
      expect(env.config.redisTurnMs).toBe(100);
      expect(env.sources['redis-turn']).toBe('env');
    });

    it('should print the resolved config with sources and mask secrets', async () => {
      const host = captureHost({ TASKLANE_REDIS_URL: 'redis://user:hunter2@redis:6379' });
      expect(await main(['run', '--worker-group', 'wg', '--print-config'], host)).toBe(0);
      expect(host.out).toContain('"redisUrl": "redis://user:***@redis:6379"');
      expect(host.out).not.toContain('hunter2');
    });
  });

  describe('exit code 2 with a message naming the problem', () => {
    const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
      ['unknown flag', ['run', '--worker-group', 'wg', '--concurency', '3'], {}, /--concurency/],
      ['missing worker group', ['run'], {}, /--worker-group is required/],
      [
        'bad duration flag',
        ['run', '--worker-group', 'wg', '--shutdown-timeout', 'soon'],
        {},
        /--shutdown-timeout: expected a duration.*"soon"/,
      ],
      [
        'bad duration env',
        ['run', '--worker-group', 'wg'],
        { TASKLANE_PROGRESS_INTERVAL: '5 parsecs' },
        /TASKLANE_PROGRESS_INTERVAL: expected a duration/,
      ],
      [
        'bad URL',
        ['run', '--worker-group', 'wg', '--endpoint', 'not a url'],
        {},
        /--endpoint: expected a URL/,
      ],
      [
        'bad URL scheme',
        ['run', '--worker-group', 'wg', '--redis-url', 'http://x:1'],
        {},
        /--redis-url: expected a URL with scheme redis, rediss/,
      ],
      [
        'bad integer',
        ['run', '--worker-group', 'wg', '--concurrency', '0'],
        {},
        /--concurrency: expected an integer >= 1, got "0"/,
      ],
      [
        'bad enum',
        ['run', '--worker-group', 'wg', '--log-format', 'xml'],
        {},
        /--log-format: expected one of json, pretty/,
      ],
      [
        'plugin not found (package)',
        ['run', '--worker-group', 'wg', '--plugin', '@nope/not-installed'],
        {},
        /--plugin: cannot find package "@nope\/not-installed"/,
      ],
      [
        'plugin not found (file)',
        ['run', '--worker-group', 'wg', '--plugin', './missing-plugin.mjs'],
        {},
        /--plugin: file not found: .*missing-plugin\.mjs/,
      ],
      [
        'plugin with no handlers',
        ['run', '--worker-group', 'wg', '--plugin', fixture('no-handlers-plugin.mjs')],
        {},
        /exports no @TaskHandler classes/,
      ],
      ['unknown config key', ['run', '--config', fixture('bad-key.json')], {}, /unknown key "concurency"/],
      ['missing config file', ['run', '--config', '/nonexistent/tasklane.yaml'], {}, /--config: cannot read/],
      ['unknown command', ['launch'], {}, /unknown command "launch"/],
      [
        'bullmq without queue',
        ['run', '--source', 'bullmq', '--redis-url', 'redis://127.0.0.1:1'],
        {},
        /--queue is required/,
      ],
      [
        'Redis turn beyond a timer',
        ['run', '--worker-group', 'wg', '--redis-url', 'redis://127.0.0.1:1', '--redis-turn', '30d'],
        {},
        /--redis-turn: turnMs must be a non-negative number of milliseconds/,
      ],
      [
        'bad source',
        ['run', '--worker-group', 'wg', '--source', 'sqs'],
        {},
        /--source: expected datapipeline, bullmq or stepfunctions/,
      ],
    ];
    it.each(cases)('%s', async (_name, argv, env, message) => {
      const host = captureHost(env);
      expect(await main(argv, host)).toBe(2);
      expect(host.err).toMatch(message);
      expect(host.out).toBe('');
    });
  });

  it('should print help and version with exit 0', async () => {
    const host = captureHost();
    expect(await main(['run', '--help'], host)).toBe(0);
    expect(host.out).toContain('--worker-group NAME');
    expect(host.out).toContain('TASKLANE_SHUTDOWN_TIMEOUT');
    expect(await main(['--version'], host)).toBe(0);
    expect(host.out).toMatch(/tasklane \d+\.\d+\.\d+/);
    for (const command of ['emulator', 'status', 'pipeline', 'demo']) {
      const h = captureHost();
      expect(await main([command, '--help'], h)).toBe(0);
      expect(h.out).toContain(`tasklane ${command}`);
    }
  });
});
