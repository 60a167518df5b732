import { describe, expect, it } from 'vitest';
import { migrateDefinition } from '../src/index.ts';

const definition = {
  objects: [
    {
      id: 'Default',
      name: 'Default',
      scheduleType: 'ondemand',
      maximumRetries: '1',
      retryDelay: '2 minutes',
    },
    {
      id: 'B',
      type: 'ShellCommandActivity',
      parent: { ref: 'Default' },
      dependsOn: { ref: 'A' },
      precondition: { ref: 'P' },
      command: 'b',
      scriptArgument: ['x', 'y'],
    },
    {
      id: 'A',
      type: 'SqlActivity',
      parent: { ref: 'Default' },
      script: 'select 1',
      attemptTimeout: '1 hours',
      reportProgressTimeout: '30 seconds',
      onFail: { ref: 'Alarm' },
    },
    { id: 'P', type: 'ShellCommandPrecondition', command: 'test -f x' },
    { id: 'Alarm', type: 'SnsAlarm', topicArn: 'arn:aws:sns:x' },
    { id: 'Daily', type: 'Schedule', period: '1 days' },
    {
      id: 'C',
      type: 'ShellCommandActivity',
      parent: { ref: 'Default' },
      maximumRetries: '0',
      command: 'echo #{node.name}',
    },
  ],
};

describe('migrateDefinition', () => {
  it('orders Tasks by dependsOn and maps retries, timeouts, heartbeats and preconditions', () => {
    const m = migrateDefinition(definition);
    const states = m.definition.States;
    expect(Object.keys(states)).toEqual(['A', 'B.P', 'B', 'C']);
    expect(m.definition.StartAt).toBe('A');
    expect(states.A).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:us-east-1:000000000000:activity:SqlActivity',
      TimeoutSeconds: 3600,
      HeartbeatSeconds: 30,
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1, IntervalSeconds: 120, BackoffRate: 1 }],
      Next: 'B.P',
      Parameters: { fields: { script: 'select 1' }, tasklane: { heartbeatSeconds: 30 } },
    });
    expect(states['B.P']).toMatchObject({
      Resource: expect.stringContaining(':activity:ShellCommandPrecondition'),
      Retry: [expect.objectContaining({ ErrorEquals: ['Tasklane.PreconditionFalse'] })],
      Next: 'B',
    });
    expect((states.B!.Parameters as { fields: unknown }).fields).toEqual({
      command: 'b',
      scriptArgument: ['x', 'y'],
    });
    expect(states.C).toMatchObject({ End: true });
    expect(states.C!.Retry).toBeUndefined();
    expect(m.activities.sort()).toEqual(['ShellCommandActivity', 'ShellCommandPrecondition', 'SqlActivity']);
  });

  it('lists what it could not translate', () => {
    const { untranslated } = migrateDefinition(definition);
    expect(untranslated).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^A\.onFail: alarms/),
        expect.stringMatching(/^Alarm \(SnsAlarm\)/),
        expect.stringMatching(/^Daily: schedules/),
        expect.stringMatching(/^C\.command: #\{expressions\}/),
      ]),
    );
  });

  it('refuses cycles and definitions without activities', () => {
    expect(() =>
      migrateDefinition({
        objects: [
          { id: 'A', type: 'ShellCommandActivity', dependsOn: { ref: 'B' } },
          { id: 'B', type: 'ShellCommandActivity', dependsOn: { ref: 'A' } },
        ],
      }),
    ).toThrow(/cycle/);
    expect(() => migrateDefinition({ objects: [{ id: 'S', type: 'Schedule' }] })).toThrow(/no activities/);
  });
});
