import { describe, expect, it } from 'vitest';
import { fakeTask, taskFromDefinition } from '../src/index.ts';

describe('fakeTask', () => {
  it('builds a task from a plain object: repeated fields, refs, stringified scalars', () => {
    const task = fakeTask({
      type: 'ShellCommandActivity',
      command: 'echo',
      scriptArgument: ['a', 'b c'],
      input: { ref: 'In' },
      maximumRetries: 2,
      stage: true,
    });
    expect(task.activityType).toBe('ShellCommandActivity');
    expect(task.get('command')).toBe('echo');
    expect(task.getAll('scriptArgument')).toEqual(['a', 'b c']);
    expect(task.get('maximumRetries')).toBe('2');
    expect(task.get('stage')).toBe('true');
    expect(task.attempt.ownRefs('input')).toEqual(['In']);
    expect(task.attemptId).toBe('@ShellCommandActivityObject_2024-01-01T00:00:00_Attempt=1');
  });

  it('takes ids and extra objects', () => {
    const task = fakeTask(
      { type: 'X', id: 'MyStep', output: { ref: 'Out' } },
      {
        taskId: 't-1',
        pipelineId: 'df-1',
        objects: {
          Out: { id: 'Out', name: 'Out', fields: [{ key: 'directoryPath', stringValue: '/tmp/o' }] },
        },
      },
    );
    expect(task.taskId).toBe('t-1');
    expect(task.pipelineId).toBe('df-1');
    expect(task.attemptId).toBe('@MyStep_2024-01-01T00:00:00_Attempt=1');
    expect(task.getRef('output')?.ownValues('directoryPath')).toEqual(['/tmp/o']);
  });

  it('rejects a spec without type', () => {
    expect(() => fakeTask({} as never)).toThrow(/type/);
  });
});

describe('taskFromDefinition', () => {
  const definition = {
    objects: [
      { id: 'Default', name: 'Default', scheduleType: 'ondemand', workerGroup: 'wg-1', maximumRetries: '1' },
      { id: 'Base', name: 'Base', command: 'echo base', scriptArgument: ['x', 'y'] },
      {
        id: 'Step',
        name: 'Step',
        type: 'ShellCommandActivity',
        parent: { ref: 'Base' },
        scriptArgument: ['only'],
        input: { ref: 'In' },
      },
      { id: 'In', name: 'In', type: 'S3DataNode', directoryPath: 's3://bucket/in/' },
    ],
  };

  it('resolves fields through parent and Default, nearest wins, repeated keys replaced whole', () => {
    const task = taskFromDefinition(definition, 'Step');
    expect(task.attemptId).toBe('@Step_2024-01-01T00:00:00_Attempt=1');
    expect(task.activityType).toBe('ShellCommandActivity');
    expect(task.get('command')).toBe('echo base');
    expect(task.getAll('scriptArgument')).toEqual(['only']);
    expect(task.get('workerGroup')).toBe('wg-1');
    expect(task.get('maximumRetries')).toBe('1');
    expect(task.attempt.ownValues('@sphere')).toEqual(['ATTEMPT']);
    expect(task.attempt.ownRefs('@componentParent')).toEqual(['Step']);
    expect(task.attempt.ownRefs('parent')).toBeUndefined();
  });

  it('includes referenced objects so refs can be followed', () => {
    const task = taskFromDefinition(definition, 'Step');
    expect(task.getRef('input')?.ownValues('directoryPath')).toEqual(['s3://bucket/in/']);
  });

  it('accepts API-style objects with a fields list', () => {
    const task = taskFromDefinition(
      {
        objects: [
          {
            id: 'A',
            name: 'A',
            fields: [
              { key: 'type', stringValue: 'T' },
              { key: 'k', stringValue: 'v' },
            ],
          },
        ],
      },
      'A',
    );
    expect(task.get('k')).toBe('v');
  });

  it('names the available objects when the id is unknown', () => {
    expect(() => taskFromDefinition(definition, 'Nope')).toThrow(/Default, Base, Step, In/);
  });
});
