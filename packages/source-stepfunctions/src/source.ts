import {
  InvalidOptionError,
  silentLogger,
  type Logger,
  type RunnerIdentity,
  type SourceTask,
  type TaskSource,
} from '@tasklane/core';
import { GetActivityTaskCommand, SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { StepFunctionsTask, type ActivityTaskHost } from './activity-task.ts';
import { resolveActivity, type ResolvedActivity } from './resolve.ts';

/** Options of {@link StepFunctionsSource}. */
export interface StepFunctionsSourceOptions {
  region?: string;
  /** Service endpoint (the emulator's URL); absent: the region's. */
  endpoint?: string;
  /** Extra SFNClient settings (credentials, ...). */
  clientConfig?: SFNClientConfig;
  /** Use this client instead of building one. */
  client?: SFNClient;
  logger?: Logger;
  /**
   * Handler type per group (activity ARN or name as given): absent, the activity's name.
   * @default {}
   */
  handlerTypes?: Record<string, string>;
  /** Heartbeat period when the task input carries no `tasklane.heartbeatSeconds`. @default the runner's progress interval */
  heartbeatSeconds?: number;
  /**
   * Socket timeout of a GetActivityTask (the service holds a poll up to 60 s). At least 65 s.
   * @default 70000
   */
  requestTimeoutMs?: number;
  /** Most polls of one activity open at once, each with a free slot. @default the runner's concurrency */
  maxPollsPerActivity?: number;
  /** Name the service records as the worker (ActivityStarted). @default the runner's hostname */
  workerName?: string;
  /** Masks secrets in failure causes sent to the service, e.g. the CLI's `redactText`. */
  redact?: (text: string) => string;
}

const MIN_POLL_TIMEOUT_MS = 65_000;

/**
 * AWS Step Functions activities as a Tasklane task source: each group is an activity (ARN, or a name
 * resolved through ListActivities), each activity task a Task whose fields are its JSON input. The service
 * hands a task to one poll only, so polls are not coordinated; AWS recommends several open polls per
 * activity, so the runner keeps one per free slot (`pollsPerGroup`). Outcomes: the handler's return
 * value → SendTaskSuccess output; FAILED → SendTaskFailure(errorId, message); FALSE →
 * `Tasklane.PreconditionFalse`.
 *
 * @example
 * ```ts
 * const source = new StepFunctionsSource({ region: 'eu-west-1' });
 * new Runner({ registry, sources: [{ source, groups: ['arn:aws:states:eu-west-1:1:activity:Extract'] }] });
 * ```
 */
export class StepFunctionsSource implements TaskSource {
  readonly kind = 'stepfunctions';
  readonly coordinated = false;
  readonly client: SFNClient;
  readonly maxPollMs: number;
  readonly pollsPerGroup: number;
  readonly #options: StepFunctionsSourceOptions;
  readonly #log: Logger;
  readonly #host: ActivityTaskHost;
  readonly #resolved = new Map<string, Promise<ResolvedActivity>>();
  #workerName: string | undefined;

  constructor(options: StepFunctionsSourceOptions = {}) {
    this.#options = options;
    this.#log = (options.logger ?? silentLogger).child({ source: 'stepfunctions' });
    const timeout = options.requestTimeoutMs ?? 70_000;
    if (!Number.isFinite(timeout) || timeout < MIN_POLL_TIMEOUT_MS)
      throw new InvalidOptionError(
        'requestTimeoutMs',
        `Expected \`requestTimeoutMs\` to be >= ${MIN_POLL_TIMEOUT_MS} (GetActivityTask holds a poll 60 s), got ${String(timeout)}`,
      );
    const hb = options.heartbeatSeconds;
    if (hb !== undefined && !(Number.isFinite(hb) && hb > 0))
      throw new InvalidOptionError(
        'heartbeatSeconds',
        `Expected \`heartbeatSeconds\` to be a number > 0, got ${String(hb)}`,
      );
    const polls = options.maxPollsPerActivity ?? Number.POSITIVE_INFINITY;
    if (!(polls >= 1))
      throw new InvalidOptionError(
        'maxPollsPerActivity',
        `Expected \`maxPollsPerActivity\` to be >= 1, got ${String(polls)}`,
      );
    this.pollsPerGroup = polls;
    this.maxPollMs = timeout;
    this.#workerName = options.workerName;
    this.client =
      options.client ??
      new SFNClient({
        region: options.region ?? 'us-east-1',
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        // An SDK retry of a poll that timed out client-side could strand the task it brought.
        maxAttempts: 1,
        requestHandler: {
          requestTimeout: timeout,
          connectionTimeout: 10_000,
          throwOnRequestTimeout: true,
        } as never,
        ...options.clientConfig,
      });
    this.#host = {
      client: this.client,
      defaultHeartbeatMs: hb === undefined ? undefined : hb * 1000,
      redact: options.redact,
    };
  }

  bindRunner(identity: RunnerIdentity): void {
    this.#workerName ??= identity.hostname.slice(0, 80);
  }

  /** The activity behind `group` (resolved once; a failed resolution is retried at the next poll). */
  activity(group: string): Promise<ResolvedActivity> {
    let resolved = this.#resolved.get(group);
    if (!resolved) {
      resolved = resolveActivity(this.client, group, this.#options.handlerTypes?.[group]);
      resolved.catch(() => this.#resolved.delete(group));
      this.#resolved.set(group, resolved);
    }
    return resolved;
  }

  /**
   * One GetActivityTask (up to 60 s). Not aborted by `signal`: a poll given up client-side may still have
   * taken a task, which would then wait for its timeout.
   */
  async poll(group: string): Promise<SourceTask | null> {
    const { arn, handlerType } = await this.activity(group);
    const response = await this.client.send(
      new GetActivityTaskCommand({
        activityArn: arn,
        ...(this.#workerName ? { workerName: this.#workerName } : {}),
      }),
    );
    if (!response.taskToken) return null;
    this.#log.debug({ activity: arn }, 'activity task received');
    return new StepFunctionsTask(response.taskToken, handlerType, response.input, this.#host);
  }

  isTransient(error: unknown): boolean {
    const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
    if (status !== undefined) return status >= 500 || status === 429 || this.isThrottle(error);
    return error instanceof Error && (error as { name?: string }).name !== 'LeaseLostError';
  }

  isThrottle(error: unknown): boolean {
    return /thrott|toomanyrequests/i.test((error as { name?: string } | null)?.name ?? '');
  }

  close(): Promise<void> {
    if (!this.#options.client) this.client.destroy();
    return Promise.resolve();
  }
}
