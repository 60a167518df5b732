import type { Observations } from '@tasklane/emulator';

/** What the chaos run checks at the end, from the emulator's observations and the runners' exits. */
export interface Verdict {
  readonly ok: boolean;
  readonly tasks: number;
  readonly terminal: number;
  readonly finished: number;
  readonly failed: number;
  readonly attemptsRunTwice: string[];
  readonly maxConcurrentPolls: Record<string, number>;
  readonly unexpectedExits: string[];
  readonly violations: number;
  readonly problems: string[];
}

export function judge(obs: Observations, taskIds: readonly string[], unexpectedExits: string[]): Verdict {
  const problems: string[] = [];
  const tasks = taskIds.map((id) => obs.tasks[id]);
  const terminal = tasks.filter((t) => t?.terminalStatus !== undefined);
  if (terminal.length !== taskIds.length)
    problems.push(`${taskIds.length - terminal.length} task(s) never reached a terminal status`);
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
    tasks: taskIds.length,
    terminal: terminal.length,
    finished: tasks.filter((t) => t?.terminalStatus === 'FINISHED').length,
    failed: tasks.filter((t) => t?.terminalStatus === 'FAILED').length,
    attemptsRunTwice: twice,
    maxConcurrentPolls,
    unexpectedExits,
    violations: obs.violations.length,
    problems,
  };
}
