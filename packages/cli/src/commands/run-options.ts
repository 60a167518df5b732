import type { OptionSpec } from '../config/options.ts';

/** Where the Data Pipeline service is; shared by every command that talks to it. */
export const ENDPOINT_OPTION: OptionSpec = {
  flag: 'endpoint',
  kind: 'url',
  schemes: ['http', 'https'],
  placeholder: 'URL',
  description: 'Data Pipeline endpoint (e.g. the emulator)',
};

export const REGION_OPTION: OptionSpec = {
  flag: 'region',
  kind: 'string',
  placeholder: 'REGION',
  description: 'AWS region (default $AWS_REGION, then us-east-1)',
};

/** Every option of `tasklane run`: flag, TASKLANE_* variable, config-file key (camelCase), default. */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'worker-group',
    kind: 'list',
    key: 'workerGroups',
    placeholder: 'NAME',
    description:
      'Data Pipeline worker group to serve (repeatable; required unless only BullMQ queues are served)',
  },
  {
    flag: 'plugin',
    kind: 'list',
    key: 'plugins',
    placeholder: 'MODULE',
    default: ['@tasklane/handlers-shell'],
    description: 'handler package name or file path (repeatable; replaces the default)',
  },
  {
    flag: 'source',
    kind: 'list',
    key: 'sources',
    placeholder: 'KIND',
    default: ['datapipeline'],
    description: 'task sources: datapipeline, bullmq, stepfunctions (repeatable)',
  },
  {
    flag: 'activity',
    kind: 'list',
    key: 'activities',
    placeholder: 'ARN[=TYPE]',
    description:
      'Step Functions activity (ARN or name) to serve with --source stepfunctions, optionally =HandlerType (repeatable)',
  },
  {
    flag: 'activity-heartbeat',
    kind: 'duration',
    placeholder: 'DURATION',
    description: 'heartbeat period of activity tasks whose input names no tasklane.heartbeatSeconds',
  },
  {
    flag: 'queue',
    kind: 'list',
    key: 'queues',
    placeholder: 'NAME',
    description: 'BullMQ queue to serve with --source bullmq (repeatable)',
  },
  ENDPOINT_OPTION,
  REGION_OPTION,
  {
    flag: 'redis-url',
    kind: 'url',
    schemes: ['redis', 'rediss', 'redis+sentinel', 'rediss+sentinel', 'redis+cluster', 'rediss+cluster'],
    placeholder: 'URL',
    description: 'Redis for fleet coordination (absent: in-process coordination)',
  },
  {
    flag: 'redis-key-prefix',
    kind: 'string',
    default: 'tl:',
    placeholder: 'PREFIX',
    description: 'prefix of every coordinator key in Redis',
  },
  {
    flag: 'lease',
    kind: 'duration',
    default: 15_000,
    placeholder: 'D',
    description: 'fleet poll lease; a crashed holder is replaced after this',
  },
  {
    flag: 'redis-turn',
    kind: 'duration',
    placeholder: 'D',
    description:
      "how long a busy instance keeps polling while others wait for the group's lease (0: hand off after every poll; default: the coordinator's)",
  },
  {
    flag: 'concurrency',
    kind: 'int',
    default: 2,
    placeholder: 'N',
    description: 'task slots per worker group',
  },
  { flag: 'max-tasks', kind: 'int', placeholder: 'N', description: 'process-wide cap on running tasks' },
  {
    flag: 'taskrunner-id',
    kind: 'string',
    placeholder: 'ID',
    description: 'taskrunnerId for heartbeats (default generated, stable for the process)',
  },
  {
    flag: 'hostname',
    kind: 'string',
    placeholder: 'HOST',
    description: 'hostname reported to the service (default the machine hostname)',
  },
  {
    flag: 'progress-interval',
    kind: 'duration',
    default: 60_000,
    placeholder: 'D',
    description: 'lease renewal period (tightened by reportProgressTimeout)',
  },
  {
    flag: 'runner-heartbeat-interval',
    kind: 'duration',
    default: 900_000,
    placeholder: 'D',
    description: 'ReportTaskRunnerHeartbeat period',
  },
  {
    flag: 'shutdown-timeout',
    kind: 'duration',
    default: 60_000,
    placeholder: 'D',
    description: 'how long running tasks may finish after SIGTERM',
  },
  {
    flag: 'http-port',
    kind: 'port',
    placeholder: 'PORT',
    description: 'serve /livez, /readyz, /metrics and /fleet on this port',
  },
  {
    flag: 'http-host',
    kind: 'string',
    default: '127.0.0.1',
    placeholder: 'HOST',
    description: 'address for --http-port (loopback unless set: e.g. 0.0.0.0 in a pod)',
  },
  {
    flag: 'http-token',
    kind: 'string',
    placeholder: 'TOKEN',
    description:
      'bearer token required by mutating endpoints (POST /drain, dashboard actions); absent: they are refused',
  },
  {
    flag: 'dashboard-write',
    kind: 'boolean',
    default: false,
    description: 'let the BullMQ dashboard change queues (retry, remove, add; still needs --http-token)',
  },
  {
    flag: 'task-env',
    kind: 'list',
    key: 'taskEnv',
    placeholder: 'NAME',
    description: 'runner environment variable passed on to shell tasks (repeatable; others are not)',
  },
  {
    flag: 'secret-key',
    kind: 'string',
    placeholder: 'BASE64',
    description: 'AES-256 key (32 bytes, base64) that seals *-prefixed fields in BullMQ job data',
  },
  {
    flag: 'metrics-max-activity-types',
    kind: 'int',
    default: 50,
    placeholder: 'N',
    description: 'distinct activity_type label values before unknown types count as "other"',
  },
  {
    flag: 'unready-after',
    kind: 'int',
    default: 3,
    placeholder: 'N',
    description: '/readyz turns 503 after N consecutive failed polls or heartbeats',
  },
  {
    flag: 'log-level',
    kind: 'enum',
    default: 'info',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    placeholder: 'LEVEL',
    description: 'log level',
  },
  {
    flag: 'log-format',
    kind: 'enum',
    default: 'json',
    choices: ['json', 'pretty'],
    placeholder: 'FORMAT',
    description: 'json (default) or pretty for a terminal',
  },
  {
    flag: 'ec2-identity',
    kind: 'boolean',
    default: false,
    description: 'send the EC2 instance identity (IMDSv2) with polls',
  },
  {
    flag: 'print-config',
    kind: 'boolean',
    key: false,
    env: false,
    description: 'print the resolved configuration and where each value came from, then exit',
  },
];
