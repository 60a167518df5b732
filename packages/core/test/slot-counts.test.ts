import { describe, expect, it } from 'vitest';
import { slotCounts, type InFlightTask } from '../src/index.ts';

const task = (group: string, n: number): InFlightTask => ({
  taskId: `t${n}`,
  attemptId: `a${n}`,
  group,
  activityType: 'X',
  startedAt: 0,
});

describe('slotCounts', () => {
  it('should count the slot reserved for a poll as polling, not running', () => {
    const idle = slotCounts({ groups: { a: { slots: 4, busy: 1 } }, inFlight: [] });
    expect(idle).toEqual({
      groups: { a: { slots: 4, running: 0, polling: 1, free: 3 } },
      running: 0,
      polling: 1,
      free: 3,
    });
  });

  it('should add groups up and count each task in its own group', () => {
    const counts = slotCounts({
      groups: { a: { slots: 4, busy: 3 }, b: { slots: 2, busy: 2 } },
      inFlight: [task('a', 1), task('a', 2), task('b', 3), task('b', 4)],
    });
    expect(counts.groups).toEqual({
      a: { slots: 4, running: 2, polling: 1, free: 1 },
      b: { slots: 2, running: 2, polling: 0, free: 0 },
    });
    expect([counts.running, counts.polling, counts.free]).toEqual([4, 1, 1]);
  });

  it('should never count below zero when a published state lags its tasks', () => {
    // The registry entry is coalesced: tasks may be listed before `busy` catches up.
    const counts = slotCounts({
      groups: { a: { slots: 1, busy: 0 } },
      inFlight: [task('a', 1), task('a', 2)],
    });
    expect(counts.groups.a).toEqual({ slots: 1, running: 2, polling: 0, free: 0 });
  });

  it('should take a state with no groups or tasks', () => {
    expect(slotCounts({ groups: {}, inFlight: [] })).toEqual({ groups: {}, running: 0, polling: 0, free: 0 });
  });
});
