import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { parseS3Uri, type S3Location } from './s3-location.ts';

/** An HTTP(S) proxy for every AWS call, as the Java runner's `--proxy*` flags give it. */
export interface ProxySettings {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/** The Java Task Runner's command line, validated. */
export interface TaskRunnerArgs {
  help: boolean;
  workerGroup: string;
  taskrunnerId?: string;
  region: string;
  endpoint?: string;
  /** From `--accessId`/`--secretKey`, else the `--config` file; absent: the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** `--output`: the Java runner's working directory; logs go to `<output>/logs`. */
  output: string;
  logUri?: S3Location;
  tasks: number;
  proxy?: ProxySettings;
  s3NoProxy: boolean;
}

/** Java's default number of task threads. */
const DEFAULT_TASKS = 2;

type Kind = 'value' | 'boolean';
const FLAGS: Record<string, Kind> = {
  help: 'boolean',
  config: 'value',
  accessId: 'value',
  secretKey: 'value',
  endpoint: 'value',
  workerGroup: 'value',
  taskrunnerId: 'value',
  output: 'value',
  region: 'value',
  logUri: 'value',
  tasks: 'value',
  proxyHost: 'value',
  proxyPort: 'value',
  proxyUsername: 'value',
  proxyPassword: 'value',
  s3NoProxy: 'boolean',
};

/** Java flags Tasklane refuses with a reason rather than a bare "unknown option". */
const UNSUPPORTED: Record<string, string> = {
  proxyDomain:
    'not supported (NTLM proxy authentication); use a proxy that accepts Basic authentication (--proxyUsername/--proxyPassword) or none',
  proxyWorkstation:
    'not supported (NTLM proxy authentication); use a proxy that accepts Basic authentication (--proxyUsername/--proxyPassword) or none',
  jdbcDriverS3Path:
    'not supported: the SQL handlers (@tasklane/handlers-sql) bring their own database drivers; no JDBC jar is loaded',
};

/** Canonical spelling of a flag, matched case-insensitively (the Java docs write both --accessId and --accessID). */
const CANONICAL = new Map(
  [...Object.keys(FLAGS), ...Object.keys(UNSUPPORTED)].map((name) => [name.toLowerCase(), name]),
);

/** Credentials file keys of the Java runner (`credentials.json`). */
const FILE_KEYS = ['access-id', 'private-key', 'endpoint', 'region', 'log-uri'] as const;
type FileKey = (typeof FILE_KEYS)[number];

/** Splits argv into Java flags; `--flag=value` and `--flag value` both work. Values are never echoed. */
function parseFlags(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--')
      throw new UsageError(
        undefined,
        `unexpected argument #${i + 1} (the Java Task Runner takes --flag=value options only)`,
      );
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const typed = eq >= 0 ? body.slice(0, eq) : body;
    const name = CANONICAL.get(typed.toLowerCase());
    // Only the flag's name is quoted: the value might be a secret typed in the wrong place.
    if (!name)
      throw new UsageError(`--${typed}`, `unknown option --${typed} (see tasklane taskrunner --help)`);
    if (UNSUPPORTED[name]) throw new UsageError(`--${name}`, `--${name}: ${UNSUPPORTED[name]}`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (FLAGS[name] === 'boolean') value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`--${name}`, `--${name} needs a value (--${name}=VALUE or --${name} VALUE)`);
      value = next;
      i++;
    }
    if (values.has(name)) throw new UsageError(`--${name}`, `--${name} is given twice`);
    values.set(name, value);
  }
  return values;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** Reads the Java runner's `credentials.json`; every problem names the file and key, never a value. */
export function readCredentialsFile(path: string): Partial<Record<FileKey, string>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      '--config',
      `--config: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: error,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('--config', `--config: ${path} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError('--config', `--config: ${path} must hold a JSON object`);
  const out: Partial<Record<FileKey, string>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(FILE_KEYS as readonly string[]).includes(key))
      throw new UsageError(
        '--config',
        `--config: unknown key "${key}" in ${path} (expected ${FILE_KEYS.join(', ')})`,
      );
    if (typeof value !== 'string' || value === '')
      throw new UsageError('--config', `--config: "${key}" in ${path} must be a non-empty string`);
    out[key as FileKey] = value;
  }
  return out;
}

function positiveInt(flag: string, raw: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new UsageError(
      `--${flag}`,
      `--${flag}: expected an integer from 1 to ${max}, got ${JSON.stringify(raw)}`,
    );
  return n;
}

/** The Java runner accepts a bare host name as its endpoint; the AWS SDK wants a URL. */
function endpointUrl(raw: string, where: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError(
      '--endpoint',
      `${where}: expected an http(s) URL or a host name, got ${JSON.stringify(raw)}`,
    );
  }
  return url;
}

function proxySettings(flags: Map<string, string>): ProxySettings | undefined {
  const host = flags.get('proxyHost');
  const port = flags.get('proxyPort');
  const username = flags.get('proxyUsername');
  const password = flags.get('proxyPassword');
  if (host === undefined) {
    for (const [flag, value] of [
      ['proxyPort', port],
      ['proxyUsername', username],
      ['proxyPassword', password],
    ])
      if (value !== undefined) throw new UsageError(`--${flag}`, `--${flag} needs --proxyHost`);
    return undefined;
  }
  if (host.trim() === '' || /[\s/@]/.test(host))
    throw new UsageError('--proxyHost', '--proxyHost: expected a host name or address');
  if ((username === undefined) !== (password === undefined))
    throw new UsageError(
      username === undefined ? '--proxyUsername' : '--proxyPassword',
      '--proxyUsername and --proxyPassword go together',
    );
  return {
    host,
    port: port === undefined ? 8080 : positiveInt('proxyPort', port, 65_535),
    ...(username !== undefined ? { username, password: password! } : {}),
  };
}

/**
 * Parses the Java Task Runner's command line. Precedence as the Java runner documents it:
 * `--accessId`/`--secretKey` over the `--config` file, flags over the file for endpoint, region and
 * logUri; region defaults to us-east-1.
 */
export function parseTaskRunnerArgs(argv: readonly string[]): TaskRunnerArgs {
  const flags = parseFlags(argv);
  const help = flags.has('help');
  const configPath = flags.get('config');
  // The shell leaves `--config=~/credentials.json` unexpanded (it is no assignment); the Java guide's form.
  const file = configPath !== undefined ? readCredentialsFile(expandHome(configPath)) : {};
  const accessKeyId = flags.get('accessId') ?? file['access-id'];
  const secretAccessKey = flags.get('secretKey') ?? file['private-key'];
  if (!help && (accessKeyId === undefined) !== (secretAccessKey === undefined))
    throw new UsageError(
      accessKeyId === undefined ? '--accessId' : '--secretKey',
      accessKeyId === undefined
        ? '--secretKey needs --accessId (or "access-id" in --config)'
        : '--accessId needs --secretKey (or "private-key" in --config)',
    );
  const workerGroup = flags.get('workerGroup');
  if (!help && (workerGroup === undefined || workerGroup.trim() === ''))
    throw new UsageError('--workerGroup', '--workerGroup is required (e.g. --workerGroup=myWorkerGroup)');
  const rawLogUri = flags.get('logUri') ?? file['log-uri'];
  const rawEndpoint = flags.get('endpoint') ?? file.endpoint;
  const taskrunnerId = flags.get('taskrunnerId');
  const tasks = flags.get('tasks');
  const proxy = proxySettings(flags);
  return {
    help,
    workerGroup: workerGroup ?? '',
    region: flags.get('region') ?? file.region ?? 'us-east-1',
    output: flags.get('output') ?? 'output',
    tasks: tasks === undefined ? DEFAULT_TASKS : positiveInt('tasks', tasks),
    s3NoProxy: flags.get('s3NoProxy') === 'true',
    ...(taskrunnerId !== undefined ? { taskrunnerId } : {}),
    ...(rawEndpoint !== undefined
      ? {
          endpoint: endpointUrl(rawEndpoint, flags.has('endpoint') ? '--endpoint' : '"endpoint" in --config'),
        }
      : {}),
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } }
      : {}),
    ...(rawLogUri !== undefined ? { logUri: parseS3Uri(rawLogUri, '--logUri') } : {}),
    ...(proxy ? { proxy } : {}),
  };
}
