import type { RunnerHooks } from '@tasklane/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LabelLimit } from './label-limit.ts';

/** Options of {@link RunnerMetrics}. */
export interface RunnerMetricsOptions {
  /** Distinct `activity_type` label values before unknown types fold into `other`. @default 50 */
  readonly maxActivityTypes?: number;
  /** Activity types with a registered handler: they always keep their own label value. */
  readonly knownActivityTypes?: Iterable<string>;
}

/** Prometheus metrics of one runner process, fed by runner hooks. Label sets are bounded. */
export class RunnerMetrics {
  readonly registry = new Registry();
  readonly #activityTypes: LabelLimit;

  constructor(options: RunnerMetricsOptions = {}) {
    this.#activityTypes = new LabelLimit(options.maxActivityTypes ?? 50, options.knownActivityTypes);
  }

  readonly tasks = new Counter({
    name: 'tasklane_tasks_total',
    help: 'Tasks by worker group, activity type and result (started, finished, failed, false, canceled, lease_lost, unreported)',
    labelNames: ['group', 'activity_type', 'result'] as const,
    registers: [this.registry],
  });
  readonly taskDuration = new Histogram({
    name: 'tasklane_task_duration_seconds',
    help: 'Handler run time per task',
    labelNames: ['group', 'activity_type'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly polls = new Counter({
    name: 'tasklane_polls_total',
    help: 'Polls by group and result (task, empty, error)',
    labelNames: ['group', 'result'] as const,
    registers: [this.registry],
  });
  readonly pollDuration = new Histogram({
    name: 'tasklane_poll_duration_seconds',
    help: 'Poll latency (long polls included)',
    labelNames: ['group'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 90, 120],
    registers: [this.registry],
  });
  readonly emptyPollRatio = new Gauge({
    name: 'tasklane_empty_poll_ratio',
    help: 'Share of the last 100 polls per group that came back empty: the autoscaling signal',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly slots = new Gauge({
    name: 'tasklane_slots',
    help: 'Task slots per group by state: running (a task), polling (reserved for the poll in flight or waiting for the lease), free',
    labelNames: ['group', 'state'] as const,
    registers: [this.registry],
  });
  readonly leaseHold = new Histogram({
    name: 'tasklane_lease_hold_seconds',
    help: 'How long this instance held a group poll lease (poll + release)',
    labelNames: ['group'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 1, 10, 90],
    registers: [this.registry],
  });
  readonly handOffGap = new Histogram({
    name: 'tasklane_handoff_gap_seconds',
    help: 'From the previous holder releasing a group poll lease (Redis time) to this instance holding it: time with no poll in flight',
    labelNames: ['group'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly leaseWait = new Histogram({
    name: 'tasklane_lease_wait_seconds',
    help: 'Time from asking for a group poll lease to getting it; handoff="true" when handed over directly by the previous holder',
    labelNames: ['group', 'handoff'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 90],
    registers: [this.registry],
  });
  readonly leaseLost = new Counter({
    name: 'tasklane_lease_lost_total',
    help: 'Poll leases found lost while the poll was in flight',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly redisUp = new Gauge({
    name: 'tasklane_coordinator_up',
    help: '1 when the coordinator can grant permits (Redis reachable)',
    registers: [this.registry],
  });
  readonly heartbeatLag = new Gauge({
    name: 'tasklane_progress_lag_seconds',
    help: 'Delay of the last lease renewal past its schedule (event-loop pressure shows here)',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly eventLoopLag = new Gauge({
    name: 'tasklane_event_loop_lag_seconds',
    help: 'Timer drift of a 500 ms probe',
    registers: [this.registry],
  });
  readonly statusRetries = new Counter({
    name: 'tasklane_set_task_status_retries_total',
    help: 'SetTaskStatus retries after transient errors',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly runnerHeartbeats = new Counter({
    name: 'tasklane_runner_heartbeats_total',
    help: 'ReportTaskRunnerHeartbeat calls by result',
    labelNames: ['group', 'result'] as const,
    registers: [this.registry],
  });
  readonly #recentPolls = new Map<string, boolean[]>();
  readonly #slotState = new Map<string, { busy: number; slots: number; running: number }>();
  #lagTimer: ReturnType<typeof setInterval> | undefined;

  /** Starts the event-loop lag probe; it measures timer drift, which works the same on every runtime. */
  startProbes(): void {
    let expected = performance.now() + 500;
    this.#lagTimer = setInterval(() => {
      const now = performance.now();
      this.eventLoopLag.set(Math.max(0, now - expected) / 1000);
      expected = now + 500;
    }, 500);
    (this.#lagTimer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    clearInterval(this.#lagTimer);
  }

  #recordPoll(group: string, empty: boolean): void {
    const recent = this.#recentPolls.get(group) ?? [];
    recent.push(empty);
    if (recent.length > 100) recent.shift();
    this.#recentPolls.set(group, recent);
    this.emptyPollRatio.set({ group }, recent.filter(Boolean).length / recent.length);
  }

  /**
   * The runner counts a slot reserved for the poll as busy; autoscaling and the fleet page need to tell it
   * from a slot running a task, or an idle runner looks one slot busy per group.
   */
  #updateSlots(group: string, change: Partial<{ busy: number; slots: number; running: number }>): void {
    const state = { ...(this.#slotState.get(group) ?? { busy: 0, slots: 0, running: 0 }), ...change };
    this.#slotState.set(group, state);
    const running = Math.min(state.running, state.busy);
    this.slots.set({ group, state: 'running' }, running);
    this.slots.set({ group, state: 'polling' }, state.busy - running);
    this.slots.set({ group, state: 'free' }, Math.max(0, state.slots - state.busy));
  }

  #running(group: string, delta: number): void {
    this.#updateSlots(group, { running: Math.max(0, (this.#slotState.get(group)?.running ?? 0) + delta) });
  }

  hooks(): RunnerHooks {
    const type = (activityType: string) => this.#activityTypes.value(activityType);
    return {
      onPollEnd: ({ group, durationMs, gotTask, error, leaseLost }) => {
        this.pollDuration.observe({ group }, durationMs / 1000);
        this.polls.inc({ group, result: error !== undefined ? 'error' : gotTask ? 'task' : 'empty' });
        if (error === undefined) this.#recordPoll(group, !gotTask);
        if (leaseLost) this.leaseLost.inc({ group });
      },
      onPermitReleased: ({ group, heldMs }) => this.leaseHold.observe({ group }, heldMs / 1000),
      onTaskStart: ({ group, task }) => {
        this.#running(group, 1);
        this.tasks.inc({ group, activity_type: type(task.activityType), result: 'started' });
      },
      onTaskEnd: ({ group, task, durationMs, end }) => {
        this.#running(group, -1);
        const result =
          end.kind === 'reported'
            ? end.outcome.status.toLowerCase()
            : end.kind === 'lease-lost'
              ? 'lease_lost'
              : end.kind;
        const activity_type = type(task.activityType);
        this.tasks.inc({ group, activity_type, result });
        this.taskDuration.observe({ group, activity_type }, durationMs / 1000);
      },
      onTaskRejected: ({ group }) => this.tasks.inc({ group, activity_type: 'unknown', result: 'failed' }),
      onProgress: ({ group, lagMs }) => this.heartbeatLag.set({ group }, lagMs / 1000),
      onStatusRetry: ({ group }) => this.statusRetries.inc({ group }),
      onSlotsChanged: ({ group, busy, slots }) => this.#updateSlots(group, { busy, slots }),
      onHeartbeat: ({ group, ok }) => this.runnerHeartbeats.inc({ group, result: ok ? 'ok' : 'error' }),
    };
  }
}
