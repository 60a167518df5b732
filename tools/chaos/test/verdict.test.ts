import type { Observations } from '@tasklane/emulator';
import { describe, expect, it } from 'vitest';
import { judge } from '../src/verdict.ts';

export function observations(patch: Partial<Observations> = {}): Observations {
  return {
    groups: { g: { inFlightPolls: 0, maxInFlightPolls: 1, polls: 10, emptyPolls: 2, tasksHandedOut: 2 } },
    tasks: {
      a: {
        taskId: 'a',
        pipelineId: 'p',
        objectId: 'A',
        terminalStatus: 'FINISHED',
      } as Observations['tasks'][string],
      b1: {
        taskId: 'b1',
        pipelineId: 'p',
        objectId: 'B',
        attemptId: 'b-attempt-1',
        hostname: 'runner-1',
        handedOutAt: 1000,
        acks: 1,
        terminalStatus: 'TIMEDOUT',
      } as Observations['tasks'][string],
      b2: {
        taskId: 'b2',
        pipelineId: 'p',
        objectId: 'B',
        terminalStatus: 'FAILED',
      } as Observations['tasks'][string],
    },
    attempts: { x: { attemptId: 'x', handouts: 1, status: 'FINISHED' } },
    heartbeats: {},
    violations: [],
    requests: {},
    ...patch,
  };
}

describe('judge', () => {
  it('should pass a clean run', () => {
    const verdict = judge(
      observations(),
      [
        { pipelineId: 'p', objectId: 'A' },
        { pipelineId: 'p', objectId: 'B' },
      ],
      // The timed-out first attempt of B was on a runner the run killed.
      { runners: new Map([['runner-1', { kind: 'fleet' as const, killedAt: 2000 }]]) },
    );
    expect(verdict).toMatchObject({
      ok: true,
      tasks: 2,
      terminal: 2,
      finished: 1,
      failed: 1,
      retried: 1,
      problems: [],
    });
  });

  it('should not count a timed-out attempt with retries left as terminal', () => {
    const obs = observations();
    delete obs.tasks.b2;
    expect(judge(obs, [{ pipelineId: 'p', objectId: 'B' }]).terminal).toBe(0);
  });

  it('should fail on a lost task, a twice-run attempt, overlapping polls and a crash', () => {
    const verdict = judge(
      observations({
        groups: { g: { inFlightPolls: 0, maxInFlightPolls: 2, polls: 1, emptyPolls: 0, tasksHandedOut: 0 } },
        attempts: { x: { attemptId: 'x', handouts: 2, status: 'FINISHED' } },
      }),
      [
        { pipelineId: 'p', objectId: 'A' },
        { pipelineId: 'p', objectId: 'B' },
        { pipelineId: 'p', objectId: 'C' },
      ],
      { unexpectedExits: ['runner-3 exited 1'] },
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([
      '1 task(s) never reached a terminal status',
      '1 attempt(s) handed out more than once',
      'group g had 2 polls in flight at once',
      'runner(s) crashed: runner-3 exited 1',
      '1 protocol anomaly no fault explains (1 TIMEDOUT)',
    ]);
  });
});

describe('judge, hostile units', () => {
  const hostile = (handedOutAt: number) =>
    observations({
      tasks: {
        h: {
          taskId: 'h',
          pipelineId: 'p',
          objectId: 'H',
          attemptId: 'h-attempt-1',
          hostname: 'runner-1',
          handedOutAt,
          acks: 1,
          terminalStatus: 'TIMEDOUT',
        } as Observations['tasks'][string],
      },
    });
  const unit = [{ pipelineId: 'p', objectId: 'H', kind: 'hostile-throw' as const, maxAttempts: 1 }];
  const context = {
    runners: new Map([['runner-1', { kind: 'fleet' as const }]]),
    windows: [{ fault: 'progress-failure' as const, start: 10_000, end: 14_000 }],
  };

  it('should accept a time-out when a progress-failure fault took the attempt lease', () => {
    expect(judge(hostile(11_000), unit, context)).toMatchObject({ ok: true, problems: [] });
  });

  it('should fail a time-out that no fault explains: its FAILED was refused or never sent', () => {
    const verdict = judge(hostile(100_000), unit, context);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.join('\n')).toMatch(/hostile-throw unit p\/H ended TIMEDOUT, not FAILED/);
  });
});
