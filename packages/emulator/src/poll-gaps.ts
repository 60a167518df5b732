/**
 * How long a worker group went without a poll after one handed out a task: the service-side view of a
 * fleet's hand-off. A gap is split by whether the next poll came from the same host or another one, so a
 * bench can tell the cost of passing the poll between instances from a runner's own loop. Timed with
 * `performance.now()` (sub-millisecond), not the service clock: these are measurements, not deadlines.
 */
import type { GapStats, GroupObservation, PollGapObservation } from './types.ts';

const emptyStats = (): GapStats => ({ count: 0, totalMs: 0, maxMs: 0 });

export function freshPollGaps(): PollGapObservation {
  return { sameHost: emptyStats(), otherHost: emptyStats() };
}

interface LastPoll {
  hostname: string | undefined;
  endedAt: number;
}

/** Per-group state of the last poll that handed out a task; kept out of the JSON snapshots. */
const lastPolls = new WeakMap<GroupObservation, LastPoll>();

/** A poll arrived. Only a poll the group waited for counts: none in flight, the last one handed out work. */
export function pollArrived(g: GroupObservation, hostname: string | undefined): void {
  const last = lastPolls.get(g);
  if (!last || g.inFlightPolls > 0 || !g.pollGaps) return;
  const gapMs = performance.now() - last.endedAt;
  const stats = last.hostname === hostname ? g.pollGaps.sameHost : g.pollGaps.otherHost;
  stats.count++;
  stats.totalMs += gapMs;
  if (gapMs > stats.maxMs) stats.maxMs = gapMs;
}

/** A poll was answered (`delivered`: with a task). */
export function pollEnded(g: GroupObservation, hostname: string | undefined, delivered: boolean): void {
  if (delivered) lastPolls.set(g, { hostname, endedAt: performance.now() });
  else lastPolls.delete(g);
}

/** Zeroes the gaps of a group (its record is reused across resets). */
export function resetPollGaps(g: GroupObservation): void {
  g.pollGaps = freshPollGaps();
  lastPolls.delete(g);
}
