import type { Observations } from '@tasklane/emulator';

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
  readonly violations: number;
  readonly problems: string[];
}

/** One unit of enqueued work: a retry is a new task (new taskId) of the same pipeline object. */
export interface WorkUnit {
  readonly pipelineId: string;
  readonly objectId: string;
}

type TaskObs = Observations['tasks'][string];

/** The final outcome of a unit: FINISHED/FAILED/FALSE, or the last attempt's status once attempts ran out. */
function finalStatus(attempts: readonly TaskObs[], maxAttempts: number): string | undefined {
  const decided = attempts.find(
    (t) => t.terminalStatus === 'FINISHED' || t.terminalStatus === 'FAILED' || t.terminalStatus === 'FALSE',
  );
  if (decided) return decided.terminalStatus;
  if (attempts.length >= maxAttempts && attempts.every((t) => t.terminalStatus !== undefined))
    return attempts.at(-1)?.terminalStatus;
  return undefined;
}

export function judge(
  obs: Observations,
  units: readonly WorkUnit[],
  unexpectedExits: string[],
  maxAttempts = 6,
): Verdict {
  const problems: string[] = [];
  const byUnit = new Map<string, TaskObs[]>();
  for (const t of Object.values(obs.tasks)) {
    const key = `${t.pipelineId}/${t.objectId}`;
    const list = byUnit.get(key);
    if (list) list.push(t);
    else byUnit.set(key, [t]);
  }
  const finals = units.map((u) =>
    finalStatus(byUnit.get(`${u.pipelineId}/${u.objectId}`) ?? [], maxAttempts),
  );
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
    problems,
  };
}
