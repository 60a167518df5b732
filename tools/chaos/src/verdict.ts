import type { Observations } from '@tasklane/emulator';
import { classifyAnomalies, type AnomalyReport, type RunnerFacts, type Window } from './anomalies.ts';
import { LATE_SHUTDOWN_MS } from './config.ts';

/** What the chaos run checks at the end, from the emulator's observations and the runners' exits. */
export interface Verdict {
  readonly ok: boolean;
  readonly tasks: number;
  readonly terminal: number;
  readonly finished: number;
  readonly failed: number;
  /** Units that needed more than one attempt (killed runners, timeouts). */
  readonly retried: number;
  readonly attemptsRunTwice: string[];
  readonly maxConcurrentPolls: Record<string, number>;
  readonly unexpectedExits: string[];
  /** Protocol violations the emulator recorded, all of them. */
  readonly violations: number;
  readonly violationsByKind: Record<string, number>;
  /** Violations and timed-out attempts, explained by a fault or not. */
  readonly anomalies: AnomalyReport;
  /** Units by kind: how many, and how they ended. */
  readonly units: Record<string, Record<string, number>>;
  /** How each fault-specific (non-plain) unit ended, with the last attempt's error. */
  readonly faultUnits: Array<{
    kind: string;
    unit: string;
    final: string;
    errorId?: string;
    errorMessage?: string;
    attempts: Array<{
      hostname?: string;
      handedOutAt?: number;
      acks: number;
      status?: string;
      errorId?: string;
    }>;
  }>;
  readonly problems: string[];
}

/** One unit of enqueued work: a retry is a new task (new taskId) of the same pipeline object. */
export interface WorkUnit {
  readonly pipelineId: string;
  readonly objectId: string;
  /** What the unit exercises (see workload.ts); 'plain' when absent. */
  readonly kind?: string;
  readonly workMs?: number;
  /** Attempts the unit may take (maximumRetries + 1); the run's default when absent. */
  readonly maxAttempts?: number;
}

export interface JudgeContext {
  readonly unexpectedExits?: readonly string[];
  readonly runners?: ReadonlyMap<string, RunnerFacts>;
  readonly windows?: readonly Window[];
  /** Problems found during the run (shell children that outlived their runner). */
  readonly problems?: readonly string[];
  readonly maxAttempts?: number;
}

type TaskObs = Observations['tasks'][string];

/** The final outcome of a unit: FINISHED/FAILED/FALSE, or the last attempt's status once attempts ran out. */
function finalStatus(attempts: readonly TaskObs[], maxAttempts: number): string | undefined {
  // A unit that finished on a retry finished, whatever its earlier attempts reported.
  const decided =
    attempts.find((t) => t.terminalStatus === 'FINISHED') ??
    attempts.find((t) => t.terminalStatus === 'FAILED' || t.terminalStatus === 'FALSE');
  if (decided) return decided.terminalStatus;
  if (attempts.length >= maxAttempts && attempts.every((t) => t.terminalStatus !== undefined))
    return attempts.at(-1)?.terminalStatus;
  return undefined;
}

/** The errorIds of a task stopped by its runner's drain (the runner's own, or the shell handler's). */
const SHUTDOWN_ERRORS: ReadonlySet<string> = new Set(['TL_SHUTDOWN', 'ShellCommandAborted']);

const key = (t: { pipelineId: string; objectId: string }) => `${t.pipelineId}/${t.objectId}`;

/** Outcome checks of the units whose kind promises a particular end. */
function unitProblems(
  unit: WorkUnit,
  attempts: readonly TaskObs[],
  final: string | undefined,
  runners: ReadonlyMap<string, RunnerFacts>,
  explainedTimeouts: ReadonlySet<string>,
): string[] {
  const id = key(unit);
  if (unit.kind === 'hostile-shell' || unit.kind === 'hostile-throw') {
    // One attempt, maximumRetries 0: its FAILED must have been accepted as sent — unless a fault took the
    // attempt's lease (e.g. failing progress reports), when invariant 3 says to report nothing terminal.
    const leaseTaken =
      final === 'TIMEDOUT' &&
      attempts.length > 0 &&
      attempts.every((t) => explainedTimeouts.has(t.attemptId));
    if (final !== 'FAILED' && !leaseTaken)
      return [
        `${unit.kind} unit ${id} ended ${final ?? 'nowhere'}, not FAILED: its status was refused or never sent`,
      ];
  }
  if (unit.kind === 'shell-sleep' && final !== 'FINISHED') {
    // `sleep` succeeds; a runner killed under it costs a retry, one drained under it reports the shutdown.
    // Every failed attempt is judged, not the newest one: a retry the service queued after a drained
    // attempt may never be handed out before the run ends, and it carries no error at all.
    const failures = attempts.filter((t) => t.terminalStatus === 'FAILED');
    const wrong = failures.find((t) => !SHUTDOWN_ERRORS.has(t.errorId ?? ''));
    if (final !== 'FAILED' || failures.length === 0 || wrong)
      return [
        `shell-sleep unit ${id} ended ${final ?? 'nowhere'} (${(wrong ?? failures[0])?.errorId ?? 'no error'}), not FINISHED`,
      ];
  }
  if (unit.kind === 'late') {
    // Acked and failed although it arrived after the deadline; one that arrived during the drain may be
    // run, and then aborted at the deadline like any running task.
    const failed = attempts.filter((t) => {
      const termAt = t.hostname === undefined ? undefined : runners.get(t.hostname)?.termAt;
      return (
        t.errorId === 'TL_SHUTDOWN' &&
        termAt !== undefined &&
        (t.handedOutAt ?? 0) >= termAt + LATE_SHUTDOWN_MS
      );
    });
    if (failed.length)
      return [
        `late task ${id} was acked after the shutdown deadline and failed with TL_SHUTDOWN (invariant 7)`,
      ];
  }
  return [];
}

export function judge(obs: Observations, units: readonly WorkUnit[], context: JudgeContext = {}): Verdict {
  const maxAttempts = context.maxAttempts ?? 6;
  const unexpectedExits = [...(context.unexpectedExits ?? [])];
  const problems: string[] = [];
  const byUnit = new Map<string, TaskObs[]>();
  for (const t of Object.values(obs.tasks)) {
    const list = byUnit.get(key(t));
    if (list) list.push(t);
    else byUnit.set(key(t), [t]);
  }
  const unitByKey = new Map(units.map((u) => [key(u), u]));
  const finals = units.map((u) => finalStatus(byUnit.get(key(u)) ?? [], u.maxAttempts ?? maxAttempts));
  const terminal = finals.filter((s) => s !== undefined).length;
  if (terminal !== units.length)
    problems.push(`${units.length - terminal} task(s) never reached a terminal status`);
  const twice = Object.values(obs.attempts)
    .filter((a) => a.handouts > 1)
    .map((a) => a.attemptId);
  if (twice.length) problems.push(`${twice.length} attempt(s) handed out more than once`);
  const maxConcurrentPolls = Object.fromEntries(
    Object.entries(obs.groups).map(([g, v]) => [g, v.maxInFlightPolls]),
  );
  for (const [g, max] of Object.entries(maxConcurrentPolls))
    if (max > 1) problems.push(`group ${g} had ${max} polls in flight at once`);
  if (unexpectedExits.length) problems.push(`runner(s) crashed: ${unexpectedExits.join('; ')}`);
  const anomalies = classifyAnomalies(obs, {
    runners: context.runners ?? new Map(),
    windows: context.windows ?? [],
    workMs: (t) => unitByKey.get(key(t))?.workMs ?? 0,
    isLateUnit: (t) => unitByKey.get(key(t))?.kind === 'late',
  });
  const explainedTimeouts = new Set(anomalies.explainedTimeouts);
  const unitsByKind: Record<string, Record<string, number>> = {};
  const faultUnits: Verdict['faultUnits'] = [];
  units.forEach((u, i) => {
    const kind = u.kind ?? 'plain';
    const counts = (unitsByKind[kind] ??= {});
    const end = finals[i] ?? 'unfinished';
    counts[end] = (counts[end] ?? 0) + 1;
    const attempts = byUnit.get(key(u)) ?? [];
    problems.push(...unitProblems(u, attempts, finals[i], context.runners ?? new Map(), explainedTimeouts));
    if (kind !== 'plain') {
      const last = attempts.at(-1);
      faultUnits.push({
        kind,
        unit: key(u),
        final: end,
        ...(last?.errorId === undefined ? {} : { errorId: last.errorId }),
        ...(last?.errorMessage === undefined ? {} : { errorMessage: last.errorMessage.slice(0, 300) }),
        attempts: attempts.map((t) => ({
          ...(t.hostname === undefined ? {} : { hostname: t.hostname }),
          ...(t.handedOutAt === undefined ? {} : { handedOutAt: t.handedOutAt }),
          acks: t.acks,
          ...(t.terminalStatus === undefined ? {} : { status: t.terminalStatus }),
          ...(t.errorId === undefined ? {} : { errorId: t.errorId }),
        })),
      });
    }
  });
  problems.push(...(context.problems ?? []));
  if (anomalies.unexplainedCount > 0) {
    const kinds = Object.entries(anomalies.unexplainedByKind).map(([k, n]) => `${n} ${k}`);
    problems.push(
      `${anomalies.unexplainedCount} protocol anomal${anomalies.unexplainedCount === 1 ? 'y' : 'ies'} no fault explains (${kinds.join(', ')})`,
    );
  }
  const violationsByKind: Record<string, number> = {};
  for (const v of obs.violations) violationsByKind[v.kind] = (violationsByKind[v.kind] ?? 0) + 1;
  return {
    ok: problems.length === 0,
    tasks: units.length,
    terminal,
    finished: finals.filter((s) => s === 'FINISHED').length,
    failed: finals.filter((s) => s === 'FAILED').length,
    retried: [...byUnit.values()].filter((list) => list.length > 1).length,
    attemptsRunTwice: twice,
    maxConcurrentPolls,
    unexpectedExits,
    violations: obs.violations.length,
    violationsByKind,
    anomalies,
    units: unitsByKind,
    faultUnits,
    problems,
  };
}
