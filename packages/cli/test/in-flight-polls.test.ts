import { describe, expect, it } from 'vitest';
import { InFlightPolls } from '../src/run/lifecycle.ts';

describe('InFlightPolls', () => {
  it('names only the groups whose poll is open, and how long the longest can still last', () => {
    const polls = new InFlightPolls();
    const hooks = polls.hooks();
    const start = (group: string) => hooks.onPollStart!({ group, source: 'bullmq', epoch: 0 });
    const end = (group: string) =>
      hooks.onPollEnd!({ group, source: 'bullmq', epoch: 0, durationMs: 1, gotTask: true, leaseLost: false });
    expect(polls.groups).toEqual([]);
    start('a');
    start('b');
    end('a');
    expect(polls.groups).toEqual(['b']);
    expect(polls.remainingMs()).toBeGreaterThan(89_000);
    end('b');
    start('a');
    end('a');
    expect(polls.groups).toEqual([]);
    expect(polls.remainingMs()).toBe(0);
  });
});
