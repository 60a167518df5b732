/**
 * Live counters the tests and benches read. Records are null-prototype objects because worker group and
 * runner names come from clients and may be anything, `__proto__` included.
 */
import type { Clock, TimerHandle } from './clock.ts';
import { EmulatorError } from './errors.ts';
import { freshPollGaps, resetPollGaps } from './poll-gaps.ts';
import type {
  ActionObservation,
  GroupObservation,
  HeartbeatObservation,
  Observations,
  TaskObservation,
} from './types.ts';

const MAX_ACTIONS = 10_000;
const MAX_VIOLATIONS = 10_000;

interface Waiter {
  predicate: (o: Observations) => boolean;
  resolve: (o: Observations) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle;
}

const record = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

function fresh(): Observations {
  return {
    groups: record(),
    tasks: record(),
    attempts: record(),
    heartbeats: record(),
    violations: [],
    requests: record(),
    actions: [],
  };
}

export class ObservationLog {
  live: Observations = fresh();
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter>();
  readonly #log: ((line: string) => void) | undefined;
  readonly #retentionMs: number;
  /** Runners in order of their last heartbeat, oldest first, so silent ones are swept from the front. */
  #runners = new Map<string, HeartbeatObservation>();

  constructor(clock: Clock, log?: (line: string) => void, retentionMs = Infinity) {
    this.#clock = clock;
    this.#log = log;
    this.#retentionMs = retentionMs;
  }

  group(workerGroup: string): GroupObservation {
    let g = this.live.groups[workerGroup];
    if (!g) {
      g = {
        inFlightPolls: 0,
        maxInFlightPolls: 0,
        polls: 0,
        emptyPolls: 0,
        tasksHandedOut: 0,
        pollGaps: freshPollGaps(),
      };
      this.live.groups[workerGroup] = g;
    }
    return g;
  }

  request(operation: string): void {
    this.live.requests[operation] = (this.live.requests[operation] ?? 0) + 1;
  }

  /** Records a heartbeat; returns the runners that fell silent long ago and were forgotten. */
  heartbeat(taskrunnerId: string, workerGroup?: string, hostname?: string, accessKeyId?: string): string[] {
    let h = this.live.heartbeats[taskrunnerId];
    if (!h) {
      h = { count: 0, lastAt: 0 };
      this.live.heartbeats[taskrunnerId] = h;
    }
    const now = this.#clock.now();
    h.count++;
    h.lastAt = now;
    if (workerGroup !== undefined) h.workerGroup = workerGroup;
    if (hostname !== undefined) h.hostname = hostname;
    if (accessKeyId !== undefined) h.accessKeyId = accessKeyId;
    this.#runners.delete(taskrunnerId);
    this.#runners.set(taskrunnerId, h);
    const forgotten: string[] = [];
    for (const [id, r] of this.#runners) {
      if (now - r.lastAt <= this.#retentionMs) break;
      this.#runners.delete(id);
      if (this.live.heartbeats[id] === r) delete this.live.heartbeats[id];
      forgotten.push(id);
    }
    return forgotten;
  }

  /** An idle worker group was dropped by its queue. */
  forgetGroup(workerGroup: string, g: GroupObservation): void {
    if (this.live.groups[workerGroup] === g) delete this.live.groups[workerGroup];
  }

  violation(kind: string, detail: string): void {
    const list = this.live.violations;
    list.push({ at: this.#clock.now(), kind, detail });
    // A misbehaving fleet can produce violations forever; the newest ones are the interesting ones.
    if (list.length > MAX_VIOLATIONS) list.splice(0, list.length - MAX_VIOLATIONS);
    this.#log?.(`protocol violation ${kind}: ${detail}`);
  }

  action(a: ActionObservation): void {
    const list = (this.live.actions ??= []);
    list.push(a);
    if (list.length > MAX_ACTIONS) list.splice(0, list.length - MAX_ACTIONS);
  }

  task(taskId: string): TaskObservation | undefined {
    const t = this.live.tasks[taskId];
    return t ? structuredClone(t) : undefined;
  }

  snapshot(): Observations {
    return structuredClone(this.live);
  }

  /** Re-checks pending waitFor predicates; costs nothing while nobody waits. */
  changed(): void {
    if (this.#waiters.size === 0) return;
    for (const w of this.#waiters) {
      let ok: boolean;
      try {
        ok = w.predicate(this.live);
      } catch (e) {
        this.#waiters.delete(w);
        w.timer.cancel();
        w.reject(e);
        continue;
      }
      if (ok) {
        this.#waiters.delete(w);
        w.timer.cancel();
        w.resolve(this.snapshot());
      }
    }
  }

  waitFor(predicate: (o: Observations) => boolean, timeoutMs = 10_000): Promise<Observations> {
    if (predicate(this.live)) return Promise.resolve(this.snapshot());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: this.#clock.setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(
            new EmulatorError('EMU_WAIT_TIMEOUT', `waitFor: predicate still false after ${timeoutMs} ms`),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Drops all counters. Live group records stay referenced by their queues, so they are zeroed in place. */
  reset(): void {
    const groups = this.live.groups;
    for (const g of Object.values(groups)) {
      g.maxInFlightPolls = g.inFlightPolls;
      g.polls = g.emptyPolls = g.tasksHandedOut = 0;
      resetPollGaps(g);
    }
    this.live = fresh();
    this.live.groups = groups;
    this.#runners = new Map();
  }

  rejectAll(reason: unknown): void {
    for (const w of this.#waiters) {
      w.timer.cancel();
      w.reject(reason);
    }
    this.#waiters.clear();
  }
}
