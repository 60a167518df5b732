import { describe, expect, it } from 'vitest';
import {
  MalformedTaskError,
  MissingFieldError,
  InvalidFieldError,
  Task,
  UnresolvedReferenceError,
  type RawTask,
} from '../src/index.ts';

const attemptId = '@SayHello_2012-12-12T00:00:00_Attempt=1';

function rawTask(fields: RawTask['objects'][string]['fields'], extra: RawTask['objects'] = {}): RawTask {
  return {
    taskId: 'task-1',
    pipelineId: 'df-0937003356ZJEXAMPLE',
    attemptId,
    objects: { [attemptId]: { id: attemptId, name: attemptId, fields }, ...extra },
  };
}

describe('Task', () => {
  describe('having an attempt object like the service sends', () => {
    const task = new Task(
      rawTask(
        [
          { key: '@componentParent', refValue: 'SayHello' },
          { key: 'parent', refValue: 'SayHello' },
          { key: 'type', stringValue: 'ShellCommandActivity' },
          { key: 'command', stringValue: 'echo hello' },
          { key: 'scriptArgument', stringValue: 'a b' },
          { key: 'scriptArgument', stringValue: '"quoted"' },
          { key: 'maximumRetries', stringValue: '3' },
          { key: 'reportProgressTimeout', stringValue: '20 minutes' },
          { key: 'output', refValue: 'OutDir' },
        ],
        {
          SayHello: {
            id: 'SayHello',
            name: 'SayHello',
            fields: [
              { key: 'parent', refValue: 'Default' },
              { key: 'stage', stringValue: 'true' },
            ],
          },
          Default: { id: 'Default', name: 'Default', fields: [{ key: 'workerGroup', stringValue: 'wg-1' }] },
          OutDir: {
            id: 'OutDir',
            name: 'OutDir',
            fields: [{ key: 'directoryPath', stringValue: '/tmp/out' }],
          },
        },
      ),
    );

    it('should expose ids and the activity type', () => {
      expect(task.taskId).toBe('task-1');
      expect(task.pipelineId).toBe('df-0937003356ZJEXAMPLE');
      expect(task.attemptId).toBe(attemptId);
      expect(task.activityType).toBe('ShellCommandActivity');
    });

    it('should read own fields, repeated fields in order, numbers and periods', () => {
      expect(task.get('command')).toBe('echo hello');
      expect(task.getAll('scriptArgument')).toEqual(['a b', '"quoted"']);
      expect(task.getNumber('maximumRetries')).toBe(3);
      expect(task.getDuration('reportProgressTimeout')).toBe(20 * 60_000);
      expect(task.get('nothing')).toBeUndefined();
      expect(task.getAll('nothing')).toEqual([]);
    });

    it('should look missing fields up through parent refs, transitively', () => {
      expect(task.get('stage')).toBe('true');
      expect(task.get('workerGroup')).toBe('wg-1');
      expect(task.has('workerGroup')).toBe(true);
    });

    it('should resolve refs within the objects', () => {
      expect(task.getRef('output')?.ownValues('directoryPath')).toEqual(['/tmp/out']);
      expect(task.getRef('input')).toBeUndefined();
    });

    it('should name the field and the id of a reference the task does not carry', () => {
      expect(task.requireRefs('output').map((o) => o.id)).toEqual(['OutDir']);
      expect(() => task.requireRefs('input')).toThrow(MissingFieldError);
      const dangling = new Task(
        rawTask([
          { key: 'type', stringValue: 'CopyActivity' },
          { key: 'input', refValue: 'Gone' },
        ]),
      );
      expect(() => dangling.requireRefs('input')).toThrow(UnresolvedReferenceError);
      expect(() => dangling.requireRefs('input')).toThrow(/field "input" references object "Gone"/);
      const thrown = (() => {
        try {
          dangling.requireRefs('input');
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(thrown).toMatchObject({ code: 'TL_UNRESOLVED_REFERENCE', field: 'input', id: 'Gone' });
    });

    it('should throw coded errors for missing and invalid fields', () => {
      expect(() => task.require('scriptUri')).toThrow(MissingFieldError);
      expect(() => task.require('scriptUri')).toThrow(/required field "scriptUri"/);
      const bad = Task.fromFields({ taskId: 't', activityType: 'X', fields: { n: 'abc', p: 'soon' } });
      expect(() => bad.getNumber('n')).toThrow(InvalidFieldError);
      expect(() => bad.getDuration('p')).toThrow(/must be a period/);
    });
  });

  describe('having a cycle in parent refs', () => {
    it('should terminate and report the field missing', () => {
      const task = new Task(
        rawTask(
          [
            { key: 'type', stringValue: 'X' },
            { key: 'parent', refValue: 'A' },
          ],
          {
            A: { id: 'A', name: 'A', fields: [{ key: 'parent', refValue: 'B' }] },
            B: { id: 'B', name: 'B', fields: [{ key: 'parent', refValue: 'A' }] },
          },
        ),
      );
      expect(task.get('command')).toBeUndefined();
    });
  });

  describe('having malformed input', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['no taskId', { ...rawTask([]), taskId: '' }, /no taskId/],
      ['no objects', { ...rawTask([]), objects: null }, /no objects/],
      ['attempt missing', { ...rawTask([]), attemptId: 'other' }, /do not include the attempt/],
      ['fields not a list', rawTask(null as never), /no fields list/],
      [
        'field with both values',
        rawTask([{ key: 'type', stringValue: 'X', refValue: 'Y' }]),
        /exactly one of/,
      ],
      ['field without key', rawTask([{ stringValue: 'X' } as never]), /has no key/],
      ['no type', rawTask([{ key: 'command', stringValue: 'x' }]), /has no type/],
    ];
    it.each(cases)('should throw MalformedTaskError for %s', (_name, input, message) => {
      expect(() => new Task(input as RawTask)).toThrow(MalformedTaskError);
      expect(() => new Task(input as RawTask)).toThrow(message);
    });
  });

  describe('.fromFields', () => {
    it('should build repeated fields and refs', () => {
      const task = Task.fromFields({
        taskId: 'j1',
        activityType: 'Copy',
        fields: { args: ['1', '2'], target: { ref: 'T' }, n: 5 },
      });
      expect(task.activityType).toBe('Copy');
      expect(task.getAll('args')).toEqual(['1', '2']);
      expect(task.getNumber('n')).toBe(5);
      expect(task.attempt.ownRefs('target')).toEqual(['T']);
    });
  });

  describe('.fromFields raw', () => {
    it('keeps the wire form whole: objects readable, replaceable and serialized', () => {
      const task = Task.fromFields({
        taskId: 't1',
        activityType: 'X',
        fields: { a: 'b' },
        attemptId: 't1#1',
      });
      const attempt = {
        id: 't1#1',
        name: 't1#1',
        fields: [
          { key: 'type', stringValue: 'X' },
          { key: 'a', stringValue: 'b' },
        ],
      };
      expect(task.raw.objects).toEqual({ 't1#1': attempt });
      expect(task.raw.objects).toBe(task.raw.objects);
      expect(JSON.parse(JSON.stringify(task.raw))).toEqual({
        taskId: 't1',
        pipelineId: 'local',
        attemptId: 't1#1',
        objects: { 't1#1': attempt },
      });
      task.raw.objects = {};
      expect(task.raw.objects).toEqual({});
      expect(task.get('a')).toBe('b');
    });
  });
});
