import { backoffDelay, sleep } from './backoff.ts';
import type { Coordinator, PollPermit } from './coordinator.ts';
import type { PollEndInfo, PollInfo, RunnerHooks } from './hooks.ts';
import type { Logger } from './logger.ts';
import type { CompiledRunnerOptions } from './options.ts';
import type { RuntimePrimitives } from './runtime.ts';
import type { SlotPool } from './slots.ts';
import type { SourceTask, TaskSource } from './source.ts';

/** What a {@link WorkerGroupLoop} needs from its runner. */
export interface LoopHost {
  readonly options: CompiledRunnerOptions;
  readonly coordinator: Coordinator;
  readonly runtime: RuntimePrimitives;
  readonly logger: Logger;
  readonly hooks: RunnerHooks;
  readonly slots: SlotPool;
  /** Runs a received task in the slot the loop reserved; the host releases the slot when it ends. */
  startTask(source: TaskSource, group: string, received: SourceTask): void;
}

/**
 * The poll loop of one worker group: reserve a slot → acquire the poll permit → poll → release the
 * permit at once → hand the task over. At most one poll in flight per loop, and only with a free slot
 * (invariant 2).
 */
export class WorkerGroupLoop {
  readonly source: TaskSource;
  readonly group: string;
  readonly #host: LoopHost;
  readonly #log: Logger;
  readonly #info: PollInfo;
  #pollStartedAt: number | undefined;
  #pollError: unknown;
  #failures = 0;

  constructor(host: LoopHost, source: TaskSource, group: string) {
    this.#host = host;
    this.source = source;
    this.group = group;
    this.#log = host.logger.child({ workerGroup: group, source: source.kind });
    this.#info = Object.freeze({ group, source: source.kind, epoch: 0 });
  }

  /** Monotonic ms when the poll now in flight was sent, if one is. */
  get pollStartedAt(): number | undefined {
    return this.#pollStartedAt;
  }

  async #backOff(stop: AbortSignal): Promise<void> {
    const o = this.#host.options;
    await sleep(backoffDelay(this.#failures++, o.pollBackoffBaseMs, o.pollBackoffMaxMs), stop);
  }

  /** Polls until `stop` aborts; a poll already sent is never abandoned. */
  async run(stop: AbortSignal): Promise<void> {
    const { slots, coordinator } = this.#host;
    while (!stop.aborted) {
      // A free slot is taken without a promise: this loop turns once per task.
      if (!slots.tryReserve(this.group) && !(await slots.reserve(this.group, stop))) break;
      let permit: PollPermit | undefined;
      if (this.source.coordinated) {
        try {
          permit = await coordinator.acquire(this.group, stop);
        } catch (error) {
          slots.release(this.group);
          if (stop.aborted) break;
          this.#log.warn({ err: error }, 'coordinator acquire failed');
          await this.#backOff(stop);
          continue;
        }
        if (!this.#leaseOutlastsStart(permit)) {
          void permit.release();
          slots.release(this.group);
          await this.#backOff(stop);
          continue;
        }
      }
      const received = await this.#poll(permit, stop);
      if (received === undefined) {
        slots.release(this.group);
        await this.#afterPollError(stop);
        continue;
      }
      this.#failures = 0;
      if (!received) {
        slots.release(this.group);
        continue;
      }
      this.#host.startTask(this.source, this.group, received);
    }
  }

  async #afterPollError(stop: AbortSignal): Promise<void> {
    const error = this.#pollError;
    this.#pollError = undefined;
    const throttled = this.source.isThrottle?.(error) ?? false;
    const o = this.#host.options;
    const delayMs = backoffDelay(
      this.#failures + (throttled ? 2 : 0),
      o.pollBackoffBaseMs,
      o.pollBackoffMaxMs,
    );
    this.#failures++;
    this.#log.warn({ err: error, delayMs, throttled }, 'poll failed; backing off');
    await sleep(delayMs, stop);
  }

  /** Checked right before the poll: a lease the main thread was too busy to use may be nearly over. */
  #leaseOutlastsStart(permit: PollPermit): boolean {
    if (permit.expiresAt === undefined) return true;
    const remainingMs = permit.expiresAt - this.#host.runtime.now();
    if (remainingMs >= this.#host.options.minPollLeaseMs) return true;
    this.#host.hooks.onPermitSkipped?.({ group: this.group, epoch: permit.epoch, remainingMs });
    this.#log.warn(
      { epoch: permit.epoch, remainingMs: Math.round(remainingMs) },
      'poll lease too close to expiry to start a poll; giving it back',
    );
    return false;
  }

  /**
   * One poll, with its hooks and the permit released the moment it answers: the task, null when the poll
   * ended empty, undefined when it failed (the error in #pollError; no result object per poll).
   */
  async #poll(permit: PollPermit | undefined, stop: AbortSignal): Promise<SourceTask | null | undefined> {
    const { runtime, hooks } = this.#host;
    // Without a permit the epoch is 0 every time: one info object for the loop's life.
    const pollInfo = permit
      ? { group: this.group, source: this.source.kind, epoch: permit.epoch }
      : this.#info;
    const started = runtime.monotonicNow();
    this.#pollStartedAt = started;
    hooks.onPollStart?.(pollInfo);
    let received: SourceTask | null | undefined;
    let pollError: unknown;
    try {
      // The poll is never aborted once sent: an abandoned Data Pipeline poll can lose a task.
      received =
        (await (hooks.wrapPoll
          ? hooks.wrapPoll(pollInfo, () => this.source.poll(this.group, stop))
          : this.source.poll(this.group, stop))) ?? null;
    } catch (error) {
      pollError = error;
      received = undefined;
    } finally {
      this.#pollStartedAt = undefined;
    }
    const leaseLost = permit?.lost ?? false;
    if (permit) {
      const heldMs = runtime.monotonicNow() - started;
      void permit.release().then(() => hooks.onPermitReleased?.({ group: this.group, heldMs }));
    }
    if (hooks.onPollEnd) {
      const end: { -readonly [K in keyof PollEndInfo]: PollEndInfo[K] } = {
        group: pollInfo.group,
        source: pollInfo.source,
        epoch: pollInfo.epoch,
        durationMs: runtime.monotonicNow() - started,
        gotTask: received != null,
        leaseLost,
      };
      if (received === undefined) end.error = pollError;
      hooks.onPollEnd(end);
    }
    if (leaseLost)
      this.#log.warn({ epoch: pollInfo.epoch }, 'poll lease was lost while the poll was in flight');
    if (received === undefined) this.#pollError = pollError;
    return received;
  }
}
