import { describe, expect, it } from 'vitest';
import {
  BullMQErrorCode,
  jobsFromDefinition,
  planFromDefinition,
  taskFromJob,
  type EnqueueJob,
} from '../src/index.ts';

const base = [
  {
    id: 'Default',
    name: 'Default',
    scheduleType: 'ondemand',
    workerGroup: 'wg-1',
    maximumRetries: '1',
    retryDelay: '2 seconds',
    myDir: '/tmp',
  },
  { id: 'Input', name: 'Input', type: 'S3DataNode', directoryPath: 's3://bucket/in' },
];

function shell(id: string, command: string, dependsOn: string[] = [], extra: Record<string, unknown> = {}) {
  return {
    id,
    name: id,
    type: 'ShellCommandActivity',
    parent: { ref: 'Default' },
    command,
    ...(dependsOn.length ? { dependsOn: dependsOn.map((ref) => ({ ref })) } : {}),
    ...extra,
  };
}

const names = (job: EnqueueJob): unknown => ({
  id: (job.data as { objectId: string }).objectId,
  children: (job.children ?? []).map(names),
});

describe('planFromDefinition', () => {
  it('maps a linear pipeline to one flow whose children are the dependencies', () => {
    const plan = planFromDefinition({
      objects: [
        ...base,
        shell('Extract', 'echo e'),
        shell('Transform', 'echo t', ['Extract']),
        shell('Load', 'echo l', ['Transform']),
      ],
    });
    expect(plan.layout).toBe('tree');
    expect(plan.order).toEqual(['Extract', 'Transform', 'Load']);
    expect(plan.jobs.map(names)).toEqual([
      { id: 'Load', children: [{ id: 'Transform', children: [{ id: 'Extract', children: [] }] }] },
    ]);
    const load = plan.jobs[0]!;
    expect(load.name).toBe('ShellCommandActivity');
    expect(load.opts).toMatchObject({ attempts: 2, backoff: { type: 'fixed', delay: 2000 } });
    expect(load.children![0]!.opts).toMatchObject({ failParentOnFailure: true });
  });

  it('keeps fan-in as a tree, drops implied edges, and leaves independent activities as single jobs', () => {
    const plan = planFromDefinition({
      objects: [
        ...base,
        shell('A', 'a'),
        shell('B', 'b'),
        shell('C', 'c', ['A', 'B']),
        shell('D', 'd', ['C', 'A']),
        shell('Solo', 's'),
      ],
    });
    expect(plan.layout).toBe('tree');
    expect(plan.jobs.map(names)).toEqual([
      { id: 'Solo', children: [] },
      {
        id: 'D',
        children: [
          {
            id: 'C',
            children: [
              { id: 'A', children: [] },
              { id: 'B', children: [] },
            ],
          },
        ],
      },
    ]);
  });

  it('chains a fan-out (shared dependency) in dependency order and says so', () => {
    const plan = planFromDefinition({
      objects: [...base, shell('A', 'a'), shell('B', 'b', ['A']), shell('C', 'c', ['A'])],
    });
    expect(plan.layout).toBe('chain');
    expect(plan.order).toEqual(['A', 'B', 'C']);
    expect(plan.jobs.map(names)).toEqual([
      { id: 'C', children: [{ id: 'B', children: [{ id: 'A', children: [] }] }] },
    ]);
    expect(plan.notes.join('\n')).toMatch(/A → B, C/);
  });

  it('carries fields, refs and inheritance so the handler sees the same task as with Data Pipeline', () => {
    const [job] = jobsFromDefinition(
      JSON.stringify({
        objects: [
          ...base,
          shell('Copy', 'cp #{myDir}/a #{myOut}', [], {
            input: { ref: 'Input' },
            scriptArgument: ['x', 'y'],
          }),
        ],
        parameters: [{ id: 'myOut', type: 'String', default: '/out' }],
      }),
    );
    const task = taskFromJob({ id: '7', name: job!.name, data: job!.data, attemptsMade: 0 }, 'etl');
    expect(task.activityType).toBe('ShellCommandActivity');
    expect(task.get('command')).toBe('cp /tmp/a /out');
    expect(task.getAll('scriptArgument')).toEqual(['x', 'y']);
    expect(task.get('workerGroup')).toBe('wg-1'); // inherited from Default through parent
    expect(task.getRef('input')?.ownValues('directoryPath')).toEqual(['s3://bucket/in']);
  });

  it('accepts the API format with fields lists', () => {
    const jobs = jobsFromDefinition({
      objects: [
        { id: 'Default', name: 'Default', fields: [{ key: 'maximumRetries', stringValue: '0' }] },
        {
          id: 'A',
          name: 'A',
          fields: [
            { key: 'type', stringValue: 'ShellCommandActivity' },
            { key: 'parent', refValue: 'Default' },
            { key: 'command', stringValue: 'true' },
          ],
        },
      ],
    });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.opts?.attempts).toBe(1);
  });

  it('rejects cycles, dangling refs and definitions without activities with a stable code', () => {
    const cases = [
      { objects: [shell('A', 'a', ['B']), shell('B', 'b', ['A'])] },
      { objects: [shell('A', 'a', ['Nope'])] },
      { objects: [{ id: 'Default', name: 'Default' }] },
      { nope: true },
      'not json',
    ];
    for (const definition of cases) {
      expect(() => planFromDefinition(definition)).toThrow(
        expect.objectContaining({ code: BullMQErrorCode.InvalidDefinition }),
      );
    }
  });
});
