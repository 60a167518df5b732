import { describe, expect, it } from 'vitest';
import { DefinitionError, definitionToWireObjects } from '../src/index.ts';

describe('definitionToWireObjects', () => {
  it('should read the aws-cli format: name defaults to id, lists repeat, refs become refValue', () => {
    const objects = definitionToWireObjects({
      objects: [
        { id: 'Default', scheduleType: 'ondemand', maximumRetries: 2 },
        {
          id: 'Run',
          name: 'Run it',
          type: 'ShellCommandActivity',
          parent: { ref: 'Default' },
          scriptArgument: ['a b', 'c'],
          dependsOn: [{ ref: 'X' }],
        },
      ],
    });
    expect(objects[0]).toEqual({
      id: 'Default',
      name: 'Default',
      fields: [
        { key: 'scheduleType', stringValue: 'ondemand' },
        { key: 'maximumRetries', stringValue: '2' },
      ],
    });
    expect(objects[1]!.name).toBe('Run it');
    expect(objects[1]!.fields).toEqual([
      { key: 'type', stringValue: 'ShellCommandActivity' },
      { key: 'parent', refValue: 'Default' },
      { key: 'scriptArgument', stringValue: 'a b' },
      { key: 'scriptArgument', stringValue: 'c' },
      { key: 'dependsOn', refValue: 'X' },
    ]);
  });

  it('should accept the API format as it is', () => {
    const fields = [
      { key: 'type', stringValue: 'Exists' },
      { key: 'parent', refValue: 'Default' },
    ];
    expect(definitionToWireObjects({ objects: [{ id: 'P', name: 'P', fields }] })).toEqual([
      { id: 'P', name: 'P', fields },
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    ['no objects list', { pipeline: [] }, /\{"objects": \[\.\.\.\]\}/],
    ['an object without id', { objects: [{ type: 'X' }] }, /objects\[0\] has no "id"/],
    [
      'a nested object value',
      { objects: [{ id: 'A', command: { nested: true } }] },
      /object "A" field "command" must be a string/,
    ],
    [
      'an API field without a value',
      { objects: [{ id: 'A', fields: [{ key: 'k' }] }] },
      /object "A" field "k" needs a stringValue or a refValue/,
    ],
  ])('should reject %s with a coded error naming it', (_name, input, message) => {
    expect(() => definitionToWireObjects(input)).toThrow(DefinitionError);
    expect(() => definitionToWireObjects(input)).toThrow(message);
  });
});
