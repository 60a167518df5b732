import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../src/definitions.ts';
import { resolveFields } from '../src/fields.ts';
import { LinkedQueue } from '../src/linked-queue.ts';
import { formatDateTime, parseDateTime, parseDuration, parsePeriod } from '../src/periods.ts';

describe('periods and durations', () => {
  it('parses service periods and CLI durations', () => {
    expect(parsePeriod('15 minutes')).toBe(900_000);
    expect(parsePeriod('1 hour')).toBe(3_600_000);
    expect(parsePeriod('30 Seconds')).toBe(30_000);
    expect(parsePeriod('2 days')).toBe(172_800_000);
    expect(parsePeriod('soon')).toBeUndefined();
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('fast')).toBeUndefined();
  });

  it('round-trips the zone-less literal datetime', () => {
    const ms = parseDateTime('2012-12-12T00:00:00')!;
    expect(formatDateTime(ms)).toBe('2012-12-12T00:00:00');
    expect(parseDateTime('2012-12-12 00:00:00')).toBeUndefined();
    expect(parseDateTime('2012-13-45T99:00:00')).toBeUndefined();
  });
});

describe('LinkedQueue', () => {
  it('keeps FIFO order with O(1) removal and front insertion', () => {
    const q = new LinkedQueue<number>();
    const nodes = [1, 2, 3, 4].map((n) => q.push(n));
    expect(q.remove(nodes[1]!)).toBe(true);
    expect(q.remove(nodes[1]!)).toBe(false);
    q.pushFront(0);
    expect([...q]).toEqual([0, 1, 3, 4]);
    expect(q.shift()).toBe(0);
    expect(q.size).toBe(3);
    expect(q.clear()).toEqual([1, 3, 4]);
    expect(q.shift()).toBeUndefined();
  });
});

describe('definitions', () => {
  it('resolves fields through parent and Default, nearest first, repeated keys as a whole', () => {
    const index = new Map(
      [
        {
          id: 'Default',
          name: 'Default',
          fields: [
            { key: 'workerGroup', stringValue: 'wg' },
            { key: 'myA', stringValue: 'default' },
          ],
        },
        {
          id: 'Base',
          name: 'Base',
          fields: [
            { key: 'scriptArgument', stringValue: 'x' },
            { key: 'scriptArgument', stringValue: 'y' },
            { key: 'myA', stringValue: 'base' },
          ],
        },
        {
          id: 'Child',
          name: 'Child',
          fields: [
            { key: 'parent', refValue: 'Base' },
            { key: 'scriptArgument', stringValue: 'z' },
          ],
        },
      ].map((o) => [o.id, o]),
    );
    const fields = resolveFields('Child', index);
    expect(fields.filter((f) => f.key === 'scriptArgument').map((f) => f.stringValue)).toEqual(['z']);
    expect(fields.find((f) => f.key === 'myA')?.stringValue).toBe('base');
    expect(fields.find((f) => f.key === 'workerGroup')?.stringValue).toBe('wg');
  });

  it('flags circular parents and dependsOn', () => {
    const r = validateDefinition(
      [
        {
          id: 'A',
          name: 'A',
          fields: [
            { key: 'type', stringValue: 'ShellCommandActivity' },
            { key: 'command', stringValue: 'x' },
            { key: 'workerGroup', stringValue: 'w' },
            { key: 'dependsOn', refValue: 'B' },
          ],
        },
        {
          id: 'B',
          name: 'B',
          fields: [
            { key: 'type', stringValue: 'ShellCommandActivity' },
            { key: 'command', stringValue: 'x' },
            { key: 'workerGroup', stringValue: 'w' },
            { key: 'dependsOn', refValue: 'A' },
          ],
        },
        { id: 'P', name: 'P', fields: [{ key: 'parent', refValue: 'Q' }] },
        { id: 'Q', name: 'Q', fields: [{ key: 'parent', refValue: 'P' }] },
      ],
      'df-X',
    );
    expect(r.errored).toBe(true);
    const text = JSON.stringify(r.validationErrors);
    expect(text).toContain("'dependsOn' chain is circular");
    expect(text).toContain("'parent' chain is circular");
  });
});
