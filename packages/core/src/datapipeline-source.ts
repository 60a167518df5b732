import {
  DataPipelineClient,
  PollForTaskCommand,
  ReportTaskRunnerHeartbeatCommand,
  type DataPipelineClientConfig,
} from '@aws-sdk/client-data-pipeline';
import { DataPipelineTask } from './datapipeline-task.ts';
import { sanitizeText } from './sanitize.ts';
import {
  LeaseLostError,
  type LeaseRenewalSpec,
  type RunnerIdentity,
  type SourceTask,
  type TaskSource,
} from './source.ts';

/** Options of {@link DataPipelineSource}. */
export interface DataPipelineSourceOptions {
  /** Service endpoint, e.g. the emulator's URL. Default: the regional AWS endpoint. */
  endpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** Sent with every poll and heartbeat. @default the serving runner's hostname */
  hostname?: string;
  /** Sent with heartbeats. @default the serving runner's taskrunnerId */
  taskrunnerId?: string;
  /**
   * Request timeout for every call in ms. Must exceed the service's 90 s long poll.
   * @default 100_000
   */
  requestTimeoutMs?: number;
  /** EC2 identity sent with polls, when running on EC2 and enabled. */
  instanceIdentity?: { document: string; signature: string };
  /** Passed through to the SDK client (credentials, requestHandler from the host, ...). */
  clientConfig?: Partial<DataPipelineClientConfig>;
  /** Use this client instead of building one. */
  client?: DataPipelineClient;
}

const TRANSIENT_NAMES = new Set([
  'InternalServiceError',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Credentials this close to expiry are resolved again before the next lease uses them. */
const CHANNEL_REFRESH_MS = 10 * 60_000;
const CHANNEL_RETRY_MS = 30_000;

function errorStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** The Data Pipeline service as a {@link TaskSource}, on the official AWS SDK client. */
export class DataPipelineSource implements TaskSource {
  readonly kind = 'datapipeline';
  readonly coordinated = true;
  readonly client: DataPipelineClient;
  readonly maxPollMs: number;
  readonly renewsFromThread = true;
  readonly #options: DataPipelineSourceOptions;
  #hostname: string;
  #taskrunnerId: string;
  #channel: Promise<Omit<LeaseRenewalSpec, 'taskId'>> | undefined;
  #channelExpiresAt: number | undefined;
  #channelResolvedAt = 0;

  constructor(options: DataPipelineSourceOptions) {
    this.#options = options;
    // Shape `id`: 1–1024 characters of pattern P; the runner's identity replaces the placeholder.
    this.#hostname = sanitizeText(options.hostname ?? 'tasklane', 1024) || 'tasklane';
    this.#taskrunnerId = sanitizeText(options.taskrunnerId ?? this.#hostname, 1024) || 'tasklane';
    const timeout = options.requestTimeoutMs ?? 100_000;
    this.maxPollMs = timeout;
    this.client =
      options.client ??
      new DataPipelineClient({
        region: options.region ?? 'us-east-1',
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        // The runner retries by itself: an SDK retry of a timed-out poll could lose a task (protocol §5).
        maxAttempts: 1,
        // The middleware stack is resolved once per command type instead of on every call: about a
        // third of the client's CPU per call. Nothing here changes the stack after the first request.
        cacheMiddleware: true,
        requestHandler: {
          requestTimeout: timeout,
          connectionTimeout: 10_000,
          throwOnRequestTimeout: true,
        } as never,
        ...options.clientConfig,
      });
  }

  bindRunner(identity: RunnerIdentity): void {
    if (this.#options.hostname === undefined)
      this.#hostname = sanitizeText(identity.hostname, 1024) || 'tasklane';
    if (this.#options.taskrunnerId === undefined)
      this.#taskrunnerId = sanitizeText(identity.taskrunnerId, 1024) || 'tasklane';
  }

  async poll(group: string): Promise<SourceTask | null> {
    const response = await this.client.send(
      new PollForTaskCommand({
        workerGroup: group,
        hostname: this.#hostname,
        ...(this.#options.instanceIdentity ? { instanceIdentity: this.#options.instanceIdentity } : {}),
      }),
    );
    const taskObject = response.taskObject;
    if (!taskObject || !taskObject.taskId) return null;
    return new DataPipelineTask(this.client, taskObject, (taskId) => this.#renewalSpec(taskId));
  }

  /** What the lease thread needs to renew a task on its own client: resolved, cloneable values. */
  async #renewalSpec(taskId: string): Promise<LeaseRenewalSpec> {
    const expiration = this.#channelExpiresAt;
    const now = Date.now();
    // Resolved once and shared by every task: credentials are re-resolved only as they near expiry (and
    // then at most every CHANNEL_RETRY_MS, as a provider may hand out the same ones until late).
    const stale =
      expiration !== undefined &&
      expiration - now < CHANNEL_REFRESH_MS &&
      now - this.#channelResolvedAt > CHANNEL_RETRY_MS;
    if (!this.#channel || stale) {
      const channel = this.#resolveChannel();
      this.#channel = channel;
      this.#channelResolvedAt = now;
      channel.then(
        (c) => (this.#channelExpiresAt = c.credentials?.expiration),
        () => {
          if (this.#channel === channel) this.#channel = undefined;
        },
      );
    }
    return { ...(await this.#channel), taskId };
  }

  async #resolveChannel(): Promise<Omit<LeaseRenewalSpec, 'taskId'>> {
    const config = this.client.config;
    const [region, credentials] = await Promise.all([config.region(), config.credentials()]);
    return {
      kind: 'datapipeline',
      region,
      endpoint: this.#options.endpoint ?? (await customEndpoint(this.client)),
      requestTimeoutMs: this.#options.requestTimeoutMs ?? 100_000,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: credentials.expiration?.getTime(),
      },
    };
  }

  async heartbeat(group: string): Promise<{ terminate: boolean }> {
    const response = await this.client.send(
      new ReportTaskRunnerHeartbeatCommand({
        taskrunnerId: this.#taskrunnerId,
        workerGroup: group,
        hostname: this.#hostname,
      }),
    );
    return { terminate: response.terminate === true };
  }

  isTransient(error: unknown): boolean {
    if (LeaseLostError.is(error)) return false;
    const status = errorStatus(error);
    if (status !== undefined && status >= 500) return true;
    const name = (error as { name?: string })?.name ?? '';
    const code = (error as { code?: string })?.code ?? '';
    if (TRANSIENT_NAMES.has(name) || TRANSIENT_NAMES.has(code) || this.isThrottle(error)) return true;
    // No HTTP status at all means the request never got an answer: network trouble.
    return status === undefined && error instanceof Error;
  }

  isRejected(error: unknown): boolean {
    return (error as { name?: string })?.name === 'InvalidRequestException';
  }

  isThrottle(error: unknown): boolean {
    const name = (error as { name?: string })?.name ?? '';
    return /thrott|limitexceeded|toomanyrequests/i.test(name) || errorStatus(error) === 429;
  }

  close(): Promise<void> {
    if (!this.#options.client) this.client.destroy();
    return Promise.resolve();
  }
}

/** The endpoint a client given by the caller was built with (the lease thread must renew on the same service). */
async function customEndpoint(client: DataPipelineClient): Promise<string | undefined> {
  const config = client.config as {
    endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path?: string }>;
  };
  if (typeof config.endpoint !== 'function') return undefined;
  const e = await config.endpoint();
  return `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path ?? ''}`;
}
