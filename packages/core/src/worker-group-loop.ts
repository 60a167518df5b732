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
      // The poll is awaited here, not in a helper: one async frame per task less.
      const info = this.#pollStarted(permit);
      let received: SourceTask | null;
      try {
        // The poll is never aborted once sent: an abandoned Data Pipeline poll can lose a task.
        const { wrapPoll } = this.#host.hooks;
        received =
          (await (wrapPoll
            ? wrapPoll(info, () => this.source.poll(this.group, stop))
            : this.source.poll(this.group, stop))) ?? null;
      } catch (error) {
        this.#pollEnded(permit, info, undefined, error);
        slots.release(this.group);
        await this.#afterPollError(error, stop);
        continue;
      }
      this.#pollEnded(permit, info, received, undefined);
      this.#failures = 0;
      if (!received) {
        slots.release(this.group);
        continue;
      }
      this.#host.startTask(this.source, this.group, received);
    }
  }

  async #afterPollError(error: unknown, stop: AbortSignal): Promise<void> {
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

  /** A poll is about to be sent: its start is recorded and told to the hooks. */
  #pollStarted(permit: PollPermit | undefined): PollInfo {
    // Without a permit the epoch is 0 every time: one info object for the loop's life.
    const info = permit ? { group: this.group, source: this.source.kind, epoch: permit.epoch } : this.#info;
    this.#pollStartedAt = this.#host.runtime.monotonicNow();
    this.#host.hooks.onPollStart?.(info);
    return info;
  }

  /**
   * The poll answered (`received`, null when empty) or failed (`received` undefined): the permit is
   * released at once and the hooks are told.
   */
  #pollEnded(
    permit: PollPermit | undefined,
    info: PollInfo,
    received: SourceTask | null | undefined,
    error: unknown,
  ): void {
    const { runtime, hooks } = this.#host;
    const started = this.#pollStartedAt ?? runtime.monotonicNow();
    this.#pollStartedAt = undefined;
    const leaseLost = permit?.lost ?? false;
    if (permit) {
      const heldMs = runtime.monotonicNow() - started;
      void permit.release().then(() => hooks.onPermitReleased?.({ group: this.group, heldMs }));
    }
    if (hooks.onPollEnd) {
      const end: { -readonly [K in keyof PollEndInfo]: PollEndInfo[K] } = {
        group: info.group,
        source: info.source,
        epoch: info.epoch,
        durationMs: runtime.monotonicNow() - started,
        gotTask: received != null,
        leaseLost,
      };
      if (received === undefined) end.error = error;
      hooks.onPollEnd(end);
    }
    if (leaseLost) this.#log.warn({ epoch: info.epoch }, 'poll lease was lost while the poll was in flight');
  }
}
