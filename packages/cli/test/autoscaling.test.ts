/**
 * No cluster runs here, so the ScaledObject is checked by arithmetic: its Prometheus queries are
 * evaluated over the samples a fleet in a given state exposes, and the HPA's documented algorithm turns
 * them into a desired replica count (external metrics, 10 % tolerance, the max over all triggers, clamped
 * to min/max replicas; behavior rate limits apply after this and are left out).
 */
import { describe, expect, it } from 'vitest';
import { renderManifests, resolveValues } from '../src/index.ts';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Just enough PromQL for the manifests' queries: `N - x`, `x / y`, sum/avg over one selector. */
function evaluate(query: string, samples: readonly Sample[]): number {
  const tokens = query.match(/\d+(?:\.\d+)?|[a-z_]+\([^()]*\)|[-/]/g) ?? [];
  const term = (token: string): number => {
    if (/^\d/.test(token)) return Number(token);
    const m = /^(sum|avg)\(([a-z_]+)\{([^}]*)\}\)$/.exec(token);
    if (!m) throw new Error(`unsupported PromQL: ${token}`);
    const matchers = [...m[3]!.matchAll(/([a-z_]+)(=~|=)"([^"]*)"/g)];
    const values = samples
      .filter((s) => s.name === m[2])
      .filter((s) =>
        matchers.every(([, label, op, want]) =>
          op === '=' ? s.labels[label!] === want : new RegExp(`^(?:${want})$`).test(s.labels[label!] ?? ''),
        ),
      )
      .map((s) => s.value);
    if (values.length === 0) throw new Error(`no samples for ${token}`);
    const sum = values.reduce((a, b) => a + b, 0);
    return m[1] === 'sum' ? sum : sum / values.length;
  };
  let value = term(tokens[0]!);
  for (let i = 1; i < tokens.length; i += 2) {
    const right = term(tokens[i + 1]!);
    value = tokens[i] === '-' ? value - right : value / right;
  }
  return value;
}

const TOLERANCE = 0.1;

/** The HPA's replica calculation for external metrics, one trigger. */
function desiredFor(metricType: string, value: number, target: number, current: number): number {
  const usageRatio = metricType === 'Value' ? value / target : value / (target * current);
  if (Math.abs(usageRatio - 1) <= TOLERANCE) return current;
  return metricType === 'Value' ? Math.ceil(usageRatio * current) : Math.ceil(value / target);
}

interface FleetState {
  readonly pods: number;
  /** Tasks running per pod (at most the slots). */
  readonly running: number;
  readonly emptyPollRatio: number;
}

function fleetSamples(state: FleetState, slots: number, group: string): Sample[] {
  return Array.from({ length: state.pods }, (_, i) => {
    const labels = { namespace: 'pipelines', pod: `tasklane-etl-7d9f-${i}`, group };
    // A pod with a free slot keeps one reserved for the fleet's poll: not a running task.
    const polling = state.running < slots ? 1 : 0;
    return [
      { name: 'tasklane_slots', labels: { ...labels, state: 'running' }, value: state.running },
      { name: 'tasklane_slots', labels: { ...labels, state: 'polling' }, value: polling },
      {
        name: 'tasklane_slots',
        labels: { ...labels, state: 'free' },
        value: slots - state.running - polling,
      },
      { name: 'tasklane_empty_poll_ratio', labels, value: state.emptyPollRatio },
    ];
  }).flat();
}

function desiredReplicas(scaledObject: Record<string, any>, state: FleetState, slots: number): number {
  const samples = fleetSamples(state, slots, 'etl-prod');
  const desired = Math.max(
    ...scaledObject.spec.triggers.map((t: Record<string, any>) =>
      desiredFor(
        t.metricType ?? 'AverageValue',
        evaluate(t.metadata.query, samples),
        Number(t.metadata.threshold),
        state.pods,
      ),
    ),
  );
  return Math.min(scaledObject.spec.maxReplicaCount, Math.max(scaledObject.spec.minReplicaCount, desired));
}

const values = resolveValues({
  namespace: 'pipelines',
  deployments: [
    {
      name: 'etl',
      workerGroups: ['etl-prod'],
      concurrency: 4,
      autoscaling: { minReplicas: 2, maxReplicas: 50, targetBusyRatio: 0.7 },
    },
  ],
});
const scaledObject = renderManifests(values).find((m) => m.kind === 'ScaledObject') as Record<string, any>;

// The same table is in docs/operators.md (Autoscaling).
const TABLE: Array<[string, FleetState, number]> = [
  ['idle', { pods: 10, running: 0, emptyPollRatio: 1 }, 2],
  ['half busy', { pods: 10, running: 2, emptyPollRatio: 0.5 }, 8],
  ['at target', { pods: 10, running: 2.8, emptyPollRatio: 0.3 }, 10],
  ['saturated', { pods: 10, running: 4, emptyPollRatio: 0 }, 15],
  ['saturated, 40 pods', { pods: 40, running: 4, emptyPollRatio: 0 }, 50],
  ['40 pods, backlog of short tasks', { pods: 40, running: 0.4, emptyPollRatio: 0 }, 50],
  ['40 pods, quiet', { pods: 40, running: 0.4, emptyPollRatio: 0.95 }, 6],
];

describe('KEDA autoscaling by arithmetic', () => {
  it.each(TABLE)('%s → %i replicas', (_, state, expected) => {
    expect(desiredReplicas(scaledObject, state, 4)).toBe(expected);
  });

  it('should scale past ceil(1 / target) replicas (the AverageValue default could not)', () => {
    expect(scaledObject.spec.triggers.map((t: Record<string, any>) => t.metricType)).toEqual([
      'Value',
      'Value',
    ]);
    const saturated = { pods: 10, running: 4, emptyPollRatio: 0 };
    const asDefault = {
      ...scaledObject,
      spec: {
        ...scaledObject.spec,
        triggers: scaledObject.spec.triggers.map((t: Record<string, any>) => ({
          ...t,
          metricType: undefined,
        })),
      },
    };
    expect(desiredReplicas(asDefault, saturated, 4)).toBe(2);
    expect(desiredReplicas(scaledObject, saturated, 4)).toBeGreaterThan(10);
  });

  it('should not count a slot reserved for the poll as running', () => {
    const idle = fleetSamples({ pods: 3, running: 0, emptyPollRatio: 1 }, 4, 'etl-prod');
    expect(evaluate(scaledObject.spec.triggers[0].metadata.query, idle)).toBe(0);
  });
});
