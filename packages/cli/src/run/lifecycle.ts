import { formatDuration, type Logger, type Runner, type RunnerHooks } from '@tasklane/core';
import { UsageError } from '../errors.ts';
import type { Host } from '../host.ts';
import type { RunConfig } from './config.ts';

/** The longest a Data Pipeline long poll stays open (protocol §5); a BullMQ poll blocks far less. */
const LONGEST_POLL_MS = 90_000;

/** Exit code of a runner stopped by a second signal: the in-flight poll and tasks were abandoned. */
export const ABANDONED_EXIT_CODE = 130;

/** Which polls are open right now, so the first signal can say what the runner waits for. */
export class InFlightPolls {
  /**
   * When each group's open poll started; a group stays as a key with `undefined` between polls. Deleting
   * and re-adding it on every poll would rehash the Map every few polls, and V8's discarded tables keep
   * their entries alive through scavenges (what made each BullMQ job's objects survive to the old space).
   */
  readonly #open = new Map<string, number | undefined>();

  hooks(): RunnerHooks {
    return {
      onPollStart: ({ group }) => void this.#open.set(group, Date.now()),
      onPollEnd: ({ group }) => void this.#open.set(group, undefined),
    };
  }

  /** The latest moment an open poll can still end, in ms from now (0 when none is open). */
  remainingMs(now = Date.now()): number {
    let longest = 0;
    for (const since of this.#open.values())
      if (since !== undefined) longest = Math.max(longest, since + LONGEST_POLL_MS - now);
    return Math.max(0, longest);
  }

  get groups(): string[] {
    return [...this.#open].flatMap(([group, since]) => (since === undefined ? [] : [group]));
  }
}

/**
 * Signals of a running runner. The first SIGTERM/SIGINT drains: it logs what it waits for (the open poll,
 * at most its long-poll time, then running tasks up to `--shutdown-timeout`). A second one abandons the
 * drain: `abandoned` resolves with {@link ABANDONED_EXIT_CODE} and the command returns at once.
 */
export function handleSignals(
  host: Host,
  runner: Runner,
  polls: InFlightPolls,
  config: RunConfig,
  logger: Logger,
): { abandoned: Promise<number>; dispose(): void } {
  let resolveAbandoned!: (code: number) => void;
  const abandoned = new Promise<number>((resolve) => (resolveAbandoned = resolve));
  let signals = 0;
  const unsubscribe = host.runtime.onShutdownSignal?.((signal) => {
    signals += 1;
    if (signals > 1) {
      logger.warn(
        { signal },
        'second shutdown signal: abandoning the in-flight poll and running tasks, exiting now',
      );
      resolveAbandoned(ABANDONED_EXIT_CODE);
      return;
    }
    const pollMs = polls.remainingMs();
    logger.info(
      {
        signal,
        openPolls: polls.groups,
        pollWaitAtMostMs: pollMs,
        taskWaitAtMostMs: config.shutdownTimeoutMs,
      },
      pollMs > 0
        ? `shutdown signal received: draining; waiting for the in-flight poll (at most ${formatDuration(pollMs)}) and running tasks (at most ${formatDuration(config.shutdownTimeoutMs)}); send it again to exit at once`
        : `shutdown signal received: draining; waiting for running tasks (at most ${formatDuration(config.shutdownTimeoutMs)}); send it again to exit at once`,
    );
    void runner.stop();
  });
  return { abandoned, dispose: () => unsubscribe?.() };
}

/** What the AWS SDK's default provider chain looks at, in its order. */
const CREDENTIAL_SOURCES =
  'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared config and credentials files (AWS_PROFILE), SSO, credential_process, a web identity token, the ECS container endpoint and EC2 instance metadata';

/**
 * Fails fast (exit 2, one line) when no AWS credentials can be resolved for the Data Pipeline source,
 * instead of starting and warning on every poll forever.
 */
export async function checkAwsCredentials(config: RunConfig, host: Host): Promise<void> {
  if (config.workerGroups.length === 0) return;
  const { DataPipelineClient } = await import('@aws-sdk/client-data-pipeline');
  const client = new DataPipelineClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(host.dataPipelineClientConfig?.() ?? {}),
  });
  try {
    const credentials = await client.config.credentials();
    if (!credentials?.accessKeyId) throw new Error('empty credentials');
  } catch (error) {
    throw new UsageError(
      'AWS credentials',
      `no AWS credentials found (tried ${CREDENTIAL_SOURCES}). ` +
        'Against the emulator any values do: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test tasklane run --endpoint http://127.0.0.1:8080 …',
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
