import type { Observations } from '@tasklane/emulator';
import { describe, expect, it } from 'vitest';
import type { RunnerFacts, Window } from '../src/anomalies.ts';
import { judge } from '../src/verdict.ts';

type TaskObs = Observations['tasks'][string];

function task(id: string, patch: Partial<TaskObs>): TaskObs {
  return {
    taskId: id,
    pipelineId: 'p',
    attemptId: `${id}-attempt`,
    objectId: id,
    workerGroup: 'g',
    type: 'ChaosActivity',
    handouts: 1,
    acks: 1,
    progressReports: 3,
    canceled: false,
    hostname: 'runner-1',
    handedOutAt: 10_000,
    terminalStatus: 'FINISHED',
    ...patch,
  };
}

function obs(tasks: TaskObs[], violations: Observations['violations'] = []): Observations {
  return {
    groups: {
      g: { inFlightPolls: 0, maxInFlightPolls: 1, polls: 5, emptyPolls: 1, tasksHandedOut: tasks.length },
    },
    tasks: Object.fromEntries(tasks.map((t) => [t.taskId, t])),
    attempts: Object.fromEntries(
      tasks.map((t) => [t.attemptId, { attemptId: t.attemptId, handouts: 1, status: 'x' }]),
    ),
    heartbeats: {},
    violations,
    requests: {},
  };
}

const runners = new Map<string, RunnerFacts>([
  ['runner-1', { kind: 'fleet' }],
  ['late-1', { kind: 'late', termAt: 20_000 }],
]);

describe('judge, protocol anomalies', () => {
  describe('having a violation of a timing kind', () => {
    const violation = {
      at: 12_000,
      kind: 'report-after-expiry',
      detail: 'ReportTaskProgress for a-attempt after its lease expired',
    };
    const tasks = [task('a', {})];
    const units = [{ pipelineId: 'p', objectId: 'a' }];

    it('should explain it by a latency window around it', () => {
      const windows: Window[] = [{ fault: 'latency', start: 11_000, end: 11_500 }];
      const verdict = judge(obs(tasks, [violation]), units, { runners, windows });
      expect(verdict.ok).toBe(true);
      expect(verdict.anomalies.explained).toEqual({ 'latency fault': 1 });
      expect(verdict.violations).toBe(1);
    });

    it('should fail the run when no fault was active', () => {
      const verdict = judge(obs(tasks, [violation]), units, { runners, windows: [] });
      expect(verdict.ok).toBe(false);
      expect(verdict.anomalies.unexplained[0]).toMatchObject({
        kind: 'report-after-expiry',
        attemptId: 'a-attempt',
        hostname: 'runner-1',
      });
    });
  });

  it('should never explain a terminal status sent after progress failures cost the lease', () => {
    const windows: Window[] = [{ fault: 'progress-failure', start: 11_000, end: 15_000 }];
    const verdict = judge(
      obs(
        [task('a', {})],
        [
          {
            at: 15_500,
            kind: 'status-after-expiry',
            detail: 'SetTaskStatus FINISHED for a-attempt after its lease expired',
          },
        ],
      ),
      [{ pipelineId: 'p', objectId: 'a' }],
      { runners, windows },
    );
    expect(verdict.anomalies.unexplainedByKind).toEqual({ 'status-after-expiry': 1 });
    expect(verdict.ok).toBe(false);
  });

  it('should never explain a second terminal status, whatever faults ran', () => {
    const windows: Window[] = [{ fault: 'drop', start: 0, end: 100_000 }];
    const verdict = judge(
      obs(
        [task('a', {})],
        [
          {
            at: 12_000,
            kind: 'duplicate-set-task-status',
            detail: 'second SetTaskStatus (FINISHED) for a-attempt',
          },
        ],
      ),
      [{ pipelineId: 'p', objectId: 'a' }],
      { runners, windows },
    );
    expect(verdict.ok).toBe(false);
  });

  it('should explain the timed-out attempts of a runner killed with -9, not those of a healthy one', () => {
    const tasks = [
      task('a1', { objectId: 'a', hostname: 'runner-9', terminalStatus: 'TIMEDOUT' }),
      task('a2', { objectId: 'a' }),
      task('b1', { objectId: 'b', terminalStatus: 'TIMEDOUT' }),
      task('b2', { objectId: 'b' }),
    ];
    const facts = new Map(runners).set('runner-9', { kind: 'fleet', killedAt: 11_000 });
    const verdict = judge(
      obs(tasks),
      [
        { pipelineId: 'p', objectId: 'a' },
        { pipelineId: 'p', objectId: 'b' },
      ],
      { runners: facts },
    );
    expect(verdict.anomalies).toMatchObject({
      total: 2,
      explained: { 'runner killed with -9': 1 },
      unexplainedCount: 1,
    });
    expect(verdict.anomalies.unexplained[0]?.attemptId).toBe('b1-attempt');
  });

  describe('having a task that arrived after the shutdown deadline', () => {
    const units = [{ pipelineId: 'p', objectId: 'l', kind: 'late' }];

    it('should accept it left un-acked and re-offered', () => {
      const tasks = [
        task('l1', {
          objectId: 'l',
          hostname: 'late-1',
          handedOutAt: 20_800,
          acks: 0,
          terminalStatus: 'TIMEDOUT',
        }),
        task('l2', { objectId: 'l', hostname: 'late-2', handedOutAt: 25_000 }),
      ];
      const verdict = judge(obs(tasks), units, { runners });
      expect(verdict.ok).toBe(true);
      expect(verdict.anomalies.explained).toEqual({ 'late task left un-acked (invariant 7)': 1 });
    });

    it('should fail when it was acked and failed with TL_SHUTDOWN', () => {
      const tasks = [
        task('l1', {
          objectId: 'l',
          hostname: 'late-1',
          handedOutAt: 20_800,
          terminalStatus: 'FAILED',
          errorId: 'TL_SHUTDOWN',
        }),
        task('l2', { objectId: 'l', hostname: 'late-2', handedOutAt: 25_000 }),
      ];
      const verdict = judge(obs(tasks), units, { runners });
      expect(verdict.problems).toEqual([
        'late task p/l was acked after the shutdown deadline and failed with TL_SHUTDOWN (invariant 7)',
      ]);
    });

    it('should accept one that arrived during the drain and was aborted at the deadline', () => {
      const tasks = [
        task('l1', {
          objectId: 'l',
          hostname: 'late-1',
          handedOutAt: 20_100,
          terminalStatus: 'FAILED',
          errorId: 'TL_SHUTDOWN',
        }),
        task('l2', { objectId: 'l', hostname: 'late-2', handedOutAt: 25_000 }),
      ];
      expect(judge(obs(tasks), units, { runners }).problems).toEqual([]);
    });
  });

  it('should fail a hostile unit whose FAILED status never landed', () => {
    const tasks = [task('h', { terminalStatus: 'TIMEDOUT' })];
    const verdict = judge(
      obs(tasks),
      [{ pipelineId: 'p', objectId: 'h', kind: 'hostile-shell', maxAttempts: 1 }],
      { runners },
    );
    expect(verdict.problems).toContain(
      'hostile-shell unit p/h ended TIMEDOUT, not FAILED: its status was refused or never sent',
    );
  });
});

describe('judge, shell units', () => {
  const units = [{ pipelineId: 'p', objectId: 's', kind: 'shell-sleep' }];

  it('should accept a shell task a drain stopped with TL_SHUTDOWN', () => {
    const tasks = [task('s1', { objectId: 's', terminalStatus: 'FAILED', errorId: 'TL_SHUTDOWN' })];
    expect(judge(obs(tasks), units, { runners }).problems).toEqual([]);
  });

  it('should fail a shell task that failed for any other reason', () => {
    const tasks = [task('s1', { objectId: 's', terminalStatus: 'FAILED', errorId: 'TL_NO_HANDLER' })];
    expect(judge(obs(tasks), units, { runners }).problems).toEqual([
      'shell-sleep unit p/s ended FAILED (TL_NO_HANDLER), not FINISHED',
    ]);
  });

  it('should judge the drained attempt, not a retry the run ended before it was handed out', () => {
    // Seed 56565: drained twice; the service queued one more retry that nobody polled.
    const tasks = [
      task('s2', { objectId: 's', terminalStatus: 'FAILED', errorId: 'ShellCommandAborted' }),
      task('s3', { objectId: 's', terminalStatus: 'FAILED', errorId: 'TL_SHUTDOWN' }),
      task('s4', {
        objectId: 's',
        terminalStatus: undefined,
        handouts: 0,
        acks: 0,
        hostname: undefined,
        handedOutAt: undefined,
      }),
    ];
    expect(judge(obs(tasks), units, { runners }).problems).toEqual([]);
    // A failure of its own among them is still one.
    tasks[1] = task('s3', { objectId: 's', terminalStatus: 'FAILED', errorId: 'TL_NO_HANDLER' });
    expect(judge(obs(tasks), units, { runners }).problems).toEqual([
      'shell-sleep unit p/s ended FAILED (TL_NO_HANDLER), not FINISHED',
    ]);
  });

  it('should count a unit that finished on a retry as finished', () => {
    const tasks = [
      task('s1', { objectId: 's', terminalStatus: 'FAILED', errorId: 'ShellCommandAborted' }),
      task('s2', { objectId: 's' }),
    ];
    expect(judge(obs(tasks), units, { runners })).toMatchObject({ finished: 1, problems: [] });
  });
});
