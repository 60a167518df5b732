import { slotCounts, type Coordinator, type InstanceState } from '@tasklane/core';
import { redactText } from '../security/redact.ts';
import type { FailureRecord, RecentFailures } from './recent-failures.ts';

/** Slots of one worker group on one instance, as an operator counts them. */
export interface GroupSlots {
  readonly slots: number;
  /** Slots running a task (same as `running`; kept for readers of the old field). */
  readonly busy: number;
  readonly running: number;
  /** Slots reserved for a poll in flight or waiting for the fleet's lease: no task runs in them. */
  readonly polling: number;
  readonly free: number;
}

/** An instance with its slots counted honestly and the failures it published. */
export type HonestInstance = Omit<InstanceState, 'groups'> & {
  readonly groups: Readonly<Record<string, GroupSlots>>;
  /** Totals over its groups. */
  readonly busy: number;
  readonly polling: number;
  readonly free: number;
  readonly recentFailures?: readonly FailureRecord[];
};

/** Slots counted by core's `slotCounts` (a slot reserved for the poll is polling, not busy). */
export function honestInstance(state: InstanceState & { recentFailures?: unknown }): HonestInstance {
  const counts = slotCounts(state);
  const groups: Record<string, GroupSlots> = {};
  for (const [group, g] of Object.entries(counts.groups)) groups[group] = { ...g, busy: g.running };
  const failures = Array.isArray(state.recentFailures) ? (state.recentFailures as FailureRecord[]) : [];
  return {
    ...state,
    groups,
    busy: counts.running,
    polling: counts.polling,
    free: counts.free,
    recentFailures: failures,
  };
}

/** The fleet's recent failures: every instance's published ones and this one's, newest first, once each. */
export function fleetFailures(
  local: readonly FailureRecord[],
  instances: readonly HonestInstance[],
  limit = 20,
): FailureRecord[] {
  const seen = new Set<string>();
  const all = [...local, ...instances.flatMap((i) => i.recentFailures ?? [])].sort((a, b) => b.at - a.at);
  const out: FailureRecord[] = [];
  for (const f of all) {
    const key = `${f.attemptId}\u0000${f.at}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
    if (out.length >= limit) break;
  }
  return out;
}

/** How many of an instance's failures travel with its registry entry (it is rewritten on every change). */
const PUBLISHED_FAILURES = 10;

/**
 * Makes the instance state the runner publishes to the fleet registry carry this process's recent
 * failures, so any instance's fleet page shows the whole fleet's, not only its own. Messages are redacted
 * before they leave the process: whoever can read the registry need not see a task's secrets.
 */
export function publishFailures(coordinator: Coordinator, failures: RecentFailures): void {
  const publish = coordinator.publishInstance?.bind(coordinator);
  if (!publish) return;
  coordinator.publishInstance = (state) =>
    publish({
      ...state,
      recentFailures: failures
        .list()
        .slice(0, PUBLISHED_FAILURES)
        .map((f) => ({ ...f, errorMessage: redactText(f.errorMessage) })),
    } as InstanceState);
}
