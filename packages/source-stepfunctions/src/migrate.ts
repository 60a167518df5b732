import { definitionToWireObjects, parseDuration, type WireObject } from '@tasklane/core';
import { InvalidDefinitionError } from './errors.ts';

/** Options of {@link migrateDefinition}. */
export interface MigrateOptions {
  /** Builds the ARN of the activity a handler type runs on. @default `arn:aws:states:us-east-1:000000000000:activity:<type>` */
  activityArn?: (activityName: string) => string;
  /** HeartbeatSeconds of Task states whose object sets no `reportProgressTimeout`. @default 60 */
  heartbeatSeconds?: number;
}

/** A state machine translated from a Data Pipeline definition. */
export interface Migration {
  /** The Amazon States Language definition (JSON.stringify it for CreateStateMachine). */
  readonly definition: { Comment: string; StartAt: string; States: Record<string, Record<string, unknown>> };
  /** Activity names the state machine needs (one per handler type): create them, run one `--activity` each. */
  readonly activities: string[];
  /** What could not be translated, one line each, for the person migrating. */
  readonly untranslated: string[];
}

type Fields = Map<string, Array<string | { ref: string }>>;

const PRECONDITIONS = new Set([
  'ShellCommandPrecondition',
  'Exists',
  'S3KeyExists',
  'S3PrefixNotEmpty',
  'DynamoDBTableExists',
  'DynamoDBDataExists',
  'RdsSqlPrecondition',
]);
/** Fields that drive Data Pipeline itself; migrated into the state machine's shape or dropped. */
const CONTROL = new Set([
  'type',
  'parent',
  'dependsOn',
  'precondition',
  'maximumRetries',
  'retryDelay',
  'attemptTimeout',
  'reportProgressTimeout',
  'workerGroup',
  'runsOn',
  'schedule',
  'scheduleType',
  'onFail',
  'onSuccess',
  'onLateAction',
  'failureAndRerunMode',
  'lateAfterTimeout',
  'pipelineLogUri',
  'resourceRole',
  'role',
  'preconditionTimeout',
  'maxActiveInstances',
]);

function fieldsOf(objects: Map<string, WireObject>, id: string): Fields {
  const fields: Fields = new Map();
  const seen = new Set<string>();
  // Own fields win over inherited ones; parents are walked nearest first.
  for (let current = objects.get(id); current && !seen.has(current.id);) {
    seen.add(current.id);
    let parent: string | undefined;
    const own: Fields = new Map();
    for (const f of current.fields ?? []) {
      const value = f.refValue !== undefined ? { ref: f.refValue } : (f.stringValue ?? '');
      if (f.key === 'parent' && f.refValue !== undefined) parent = f.refValue;
      own.set(f.key, [...(own.get(f.key) ?? []), value]);
    }
    for (const [key, values] of own) if (!fields.has(key) || key === 'parent') fields.set(key, values);
    current = parent === undefined ? undefined : objects.get(parent);
  }
  return fields;
}

const one = (fields: Fields, key: string) => {
  const v = fields.get(key)?.[0];
  return typeof v === 'string' ? v : undefined;
};
const refs = (fields: Fields, key: string) =>
  (fields.get(key) ?? []).flatMap((v) => (typeof v === 'object' ? [v.ref] : []));
const seconds = (text: string | undefined) =>
  text === undefined ? undefined : Math.max(1, Math.round(parseDuration(text) / 1000));

/** Activities ordered so each comes after what it dependsOn (definition order among equals). */
function order(ids: string[], deps: Map<string, string[]>): string[] {
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (id: string, path: string[]) => {
    if (done.has(id)) return;
    if (path.includes(id)) throw new InvalidDefinitionError(`dependsOn cycle: ${[...path, id].join(' → ')}`);
    for (const dep of deps.get(id) ?? []) if (ids.includes(dep)) visit(dep, [...path, id]);
    done.add(id);
    out.push(id);
  };
  for (const id of ids) visit(id, []);
  return out;
}

/**
 * Turns a Data Pipeline definition (aws-cli or API format) into a Step Functions state machine: one Task
 * per activity on the activity of its type, in `dependsOn` order (a sequence: independent branches run one
 * after another); `maximumRetries`/`retryDelay` → Retry; `attemptTimeout` → TimeoutSeconds;
 * `reportProgressTimeout` → HeartbeatSeconds; each precondition → a Task before its activity, retried
 * while it reports `Tasklane.PreconditionFalse`. Fields go to the task input as they are.
 */
export function migrateDefinition(definition: unknown, options: MigrateOptions = {}): Migration {
  const wire = definitionToWireObjects(definition);
  const objects = new Map(wire.map((o) => [o.id, o]));
  const arn =
    options.activityArn ?? ((name: string) => `arn:aws:states:us-east-1:000000000000:activity:${name}`);
  const untranslated: string[] = [];
  const activityIds: string[] = [];
  const deps = new Map<string, string[]>();
  for (const o of wire) {
    const fields = fieldsOf(objects, o.id);
    const type = one(fields, 'type');
    if (type?.endsWith('Activity')) {
      activityIds.push(o.id);
      deps.set(o.id, refs(fields, 'dependsOn'));
      for (const key of ['onFail', 'onSuccess', 'onLateAction'])
        if (fields.has(key))
          untranslated.push(`${o.id}.${key}: alarms are not translated; add a Catch or an EventBridge rule`);
      for (const key of ['input', 'output'])
        if (fields.has(key))
          untranslated.push(
            `${o.id}.${key}: data nodes are passed as references only; staging is not translated`,
          );
      if (fields.has('runsOn'))
        untranslated.push(
          `${o.id}.runsOn: resources are not translated; run the runner where the work belongs`,
        );
    } else if (type === 'Schedule')
      untranslated.push(
        `${o.id}: schedules are not translated; start executions from an EventBridge Scheduler rule`,
      );
    else if (
      type !== undefined &&
      !PRECONDITIONS.has(type) &&
      !type.endsWith('DataNode') &&
      o.id !== 'Default'
    )
      untranslated.push(`${o.id} (${type}): no Step Functions counterpart; left out`);
  }
  if (activityIds.length === 0)
    throw new InvalidDefinitionError(
      'the definition has no activities (objects of a type ending in "Activity")',
    );
  const heartbeat = options.heartbeatSeconds ?? 60;
  const activities = new Set<string>();
  const states: Record<string, Record<string, unknown>> = {};
  const names: string[] = [];
  const task = (id: string, type: string, fields: Fields) => {
    activities.add(type);
    const input: Record<string, unknown> = {};
    for (const [key, values] of fields) {
      if (CONTROL.has(key) || key === 'id' || key === 'name') continue;
      input[key] = values.length === 1 ? values[0] : values;
      if (values.some((v) => typeof v === 'string' && v.includes('#{')))
        untranslated.push(`${id}.${key}: #{expressions} are not evaluated; the handler gets them as written`);
    }
    const hb = seconds(one(fields, 'reportProgressTimeout')) ?? heartbeat;
    const timeout = seconds(one(fields, 'attemptTimeout'));
    const state: Record<string, unknown> = {
      Type: 'Task',
      Resource: arn(type),
      Parameters: {
        fields: input,
        tasklane: {
          heartbeatSeconds: hb,
          'retryCount.$': '$$.State.RetryCount',
          'execution.$': '$$.Execution.Name',
        },
      },
      ResultPath: null,
      HeartbeatSeconds: hb,
      ...(timeout === undefined ? {} : { TimeoutSeconds: timeout }),
    };
    return state;
  };
  for (const id of order(activityIds, deps)) {
    const fields = fieldsOf(objects, id);
    for (const pre of refs(fields, 'precondition')) {
      const preFields = fieldsOf(objects, pre);
      const preType = one(preFields, 'type') ?? 'Precondition';
      const name = `${id}.${pre}`;
      states[name] = {
        ...task(pre, preType, preFields),
        Retry: [
          {
            ErrorEquals: ['Tasklane.PreconditionFalse'],
            IntervalSeconds: 10,
            MaxAttempts: 6,
            BackoffRate: 1.5,
          },
        ],
      };
      names.push(name);
    }
    const state = task(id, one(fields, 'type')!, fields);
    const retries = Number(one(fields, 'maximumRetries') ?? '0');
    if (retries > 0)
      state.Retry = [
        {
          ErrorEquals: ['States.ALL'],
          MaxAttempts: retries,
          IntervalSeconds: seconds(one(fields, 'retryDelay')) ?? 600,
          BackoffRate: 1,
        },
      ];
    states[id] = state;
    names.push(id);
  }
  for (const [i, name] of names.entries()) {
    if (i + 1 < names.length) states[name]!.Next = names[i + 1];
    else states[name]!.End = true;
  }
  return {
    definition: {
      Comment: 'Migrated from a Data Pipeline definition by tasklane migrate',
      StartAt: names[0]!,
      States: states,
    },
    activities: [...activities],
    untranslated,
  };
}
