/**
 * Protocol anomalies of a chaos run, each either explained by a fault the run injected or not. An
 * anomaly is a protocol violation the emulator recorded, or an attempt whose lease ran out (TIMEDOUT).
 * Explained means the fault alone accounts for it: the runner did what the protocol asks and the fault
 * made it late, lost or dead. Everything else fails the run.
 */
import type { Observations } from '@tasklane/emulator';
import { LATE_SHUTDOWN_MS, LEASE_SECONDS, LONG_POLL_MS, type FaultName } from './config.ts';

type TaskObs = Observations['tasks'][string];

/** The facts about a runner that can explain an anomaly. */
export interface RunnerFacts {
  readonly killedAt?: number | undefined;
  readonly termAt?: number | undefined;
  readonly kind: 'fleet' | 'late';
}

export interface Window {
  readonly fault: FaultName;
  readonly start: number;
  readonly end: number;
}

export interface Anomaly {
  readonly kind: string;
  readonly attemptId: string | undefined;
  readonly hostname: string | undefined;
  readonly at: number | undefined;
  readonly detail: string;
}

export interface AnomalyReport {
  readonly total: number;
  /** Explained anomalies, counted by explanation. */
  readonly explained: Record<string, number>;
  /** Unexplained anomalies, counted by kind. */
  readonly unexplainedByKind: Record<string, number>;
  /** The first unexplained ones, for the report. */
  readonly unexplained: Anomaly[];
  /** Attempts whose time-out a fault explains (their runner rightly gave the lease up, or died). */
  readonly explainedTimeouts: string[];
  readonly unexplainedCount: number;
}

/** Faults that make requests late or lost: what they touch may miss a deadline through no fault of the runner's. */
const LATE_OR_LOST: ReadonlySet<FaultName> = new Set([
  'http-500',
  'throttle',
  'latency',
  'drop',
  'progress-failure',
]);
/** Violations that are about arriving late; the others (a second status, FINISHED after cancel…) never are. */
const TIMING: ReadonlySet<string> = new Set([
  'TIMEDOUT',
  'ack-after-deadline',
  'report-after-expiry',
  'status-after-expiry',
]);
const SLACK_MS = LEASE_SECONDS * 1000 + 1000;

function attemptOf(detail: string): string | undefined {
  return /\bfor (?:activity )?(\S+)/.exec(detail)?.[1];
}

function explain(
  a: Anomaly,
  task: TaskObs | undefined,
  workMs: number,
  runners: ReadonlyMap<string, RunnerFacts>,
  windows: readonly Window[],
  lateUnit: boolean,
): string | undefined {
  const runner = a.hostname === undefined ? undefined : runners.get(a.hostname);
  const handedOutAt = task?.handedOutAt;
  // Up to one long poll after the kill: the service may still answer the dead runner's open poll.
  if (
    a.kind === 'TIMEDOUT' &&
    runner?.killedAt !== undefined &&
    (handedOutAt ?? 0) <= runner.killedAt + LONG_POLL_MS + 1000
  )
    return 'runner killed with -9';
  if (
    a.kind === 'TIMEDOUT' &&
    lateUnit &&
    runner?.termAt !== undefined &&
    (handedOutAt ?? 0) >= runner.termAt + LATE_SHUTDOWN_MS &&
    task?.acks === 0
  )
    return 'late task left un-acked (invariant 7)';
  if (!TIMING.has(a.kind)) return undefined;
  for (const w of windows) {
    if (!LATE_OR_LOST.has(w.fault)) continue;
    // Losing the lease is exactly what progress failures cause; reporting a terminal status afterwards is not.
    if (w.fault === 'progress-failure' && a.kind === 'status-after-expiry') continue;
    // A late ack is late from the hand-out on: a fault anywhere in between can have held it back. The
    // other violations are about one request, made late or lost around the time it arrived.
    const from = a.kind === 'ack-after-deadline' ? (handedOutAt ?? a.at) : (a.at ?? handedOutAt);
    const to = a.at ?? (handedOutAt === undefined ? undefined : handedOutAt + workMs + SLACK_MS);
    if (from === undefined || to === undefined) continue;
    if (from <= w.end + SLACK_MS && to >= w.start) return `${w.fault} fault`;
  }
  return undefined;
}

/** Lists and classifies every anomaly in `obs`. `workMs` gives the expected work of a task's unit. */
export function classifyAnomalies(
  obs: Observations,
  info: {
    readonly runners: ReadonlyMap<string, RunnerFacts>;
    readonly windows: readonly Window[];
    readonly workMs: (task: TaskObs) => number;
    readonly isLateUnit: (task: TaskObs) => boolean;
  },
): AnomalyReport {
  const byAttempt = new Map<string, TaskObs>();
  for (const t of Object.values(obs.tasks)) byAttempt.set(t.attemptId, t);
  const anomalies: Array<[Anomaly, TaskObs | undefined]> = [];
  for (const v of obs.violations) {
    const attemptId = attemptOf(v.detail);
    const task = attemptId === undefined ? undefined : byAttempt.get(attemptId);
    anomalies.push([{ kind: v.kind, attemptId, hostname: task?.hostname, at: v.at, detail: v.detail }, task]);
  }
  for (const t of Object.values(obs.tasks)) {
    if (t.terminalStatus !== 'TIMEDOUT') continue;
    const detail = `${t.attemptId} (${t.type}) on ${t.hostname ?? 'no runner'} timed out, ${t.acks} ack(s)`;
    anomalies.push([
      { kind: 'TIMEDOUT', attemptId: t.attemptId, hostname: t.hostname, at: undefined, detail },
      t,
    ]);
  }
  const explained: Record<string, number> = {};
  const unexplainedByKind: Record<string, number> = {};
  const unexplained: Anomaly[] = [];
  const explainedTimeouts: string[] = [];
  for (const [a, task] of anomalies) {
    const why = explain(
      a,
      task,
      task ? info.workMs(task) : 0,
      info.runners,
      info.windows,
      task ? info.isLateUnit(task) : false,
    );
    if (why) {
      explained[why] = (explained[why] ?? 0) + 1;
      if (a.kind === 'TIMEDOUT' && a.attemptId !== undefined) explainedTimeouts.push(a.attemptId);
    } else {
      unexplainedByKind[a.kind] = (unexplainedByKind[a.kind] ?? 0) + 1;
      unexplained.push(a);
    }
  }
  return {
    total: anomalies.length,
    explained,
    unexplainedByKind,
    unexplained: unexplained.slice(0, 20),
    unexplainedCount: unexplained.length,
    explainedTimeouts,
  };
}
