/**
 * The Amazon States Language subset activity workflows use: Task (activity Resource), Pass, Choice,
 * Wait, Succeed and Fail, with InputPath/Parameters/ResultPath/OutputPath, Retry and Catch.
 */
import { SfnError } from './errors.ts';
import { hasPath, readPath } from './paths.ts';

export interface Retrier {
  readonly ErrorEquals: string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

export interface Catcher {
  readonly ErrorEquals: string[];
  readonly Next: string;
  readonly ResultPath?: string | null;
}

export interface ChoiceRule {
  readonly Variable?: string;
  readonly Next?: string;
  readonly And?: ChoiceRule[];
  readonly Or?: ChoiceRule[];
  readonly Not?: ChoiceRule;
  readonly [comparator: string]: unknown;
}

export interface StateDef {
  readonly Type: 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail';
  readonly Next?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
  readonly ResultPath?: string | null;
  readonly Parameters?: unknown;
  readonly Result?: unknown;
  readonly TimeoutSeconds?: number;
  readonly HeartbeatSeconds?: number;
  readonly Retry?: Retrier[];
  readonly Catch?: Catcher[];
  readonly Choices?: ChoiceRule[];
  readonly Default?: string;
  readonly Seconds?: number;
  readonly Error?: string;
  readonly Cause?: string;
}

export interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, StateDef>;
  readonly TimeoutSeconds?: number;
}

const TYPES = new Set(['Task', 'Pass', 'Choice', 'Wait', 'Succeed', 'Fail']);
const ACTIVITY_ARN = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:activity:[^:]+$/;

function invalid(message: string): SfnError {
  return new SfnError('InvalidDefinition', `Invalid State Machine Definition: '${message}'`);
}

/** Parses and checks a definition; InvalidDefinition names the first problem. */
export function parseDefinition(text: string): Definition {
  let def: Definition;
  try {
    def = JSON.parse(text) as Definition;
  } catch {
    throw invalid('INVALID_JSON_DESCRIPTION');
  }
  if (typeof def !== 'object' || def === null || typeof def.StartAt !== 'string')
    throw invalid('MISSING_START_AT');
  if (typeof def.States !== 'object' || def.States === null) throw invalid('MISSING_STATES');
  if (!Object.hasOwn(def.States, def.StartAt)) throw invalid(`MISSING_TRANSITION_TARGET at /StartAt`);
  for (const [name, state] of Object.entries(def.States)) {
    const at = `/States/${name}`;
    if (!TYPES.has(state?.Type)) throw invalid(`INVALID_STATE_TYPE at ${at}`);
    const targets = [state.Next, state.Default, ...(state.Catch ?? []).map((c) => c.Next)];
    for (const choice of state.Choices ?? []) targets.push(choice.Next);
    for (const target of targets)
      if (target !== undefined && !Object.hasOwn(def.States, target))
        throw invalid(`MISSING_TRANSITION_TARGET '${target}' at ${at}`);
    const terminal = state.Type === 'Succeed' || state.Type === 'Fail' || state.Type === 'Choice';
    if (!terminal && state.End !== true && state.Next === undefined)
      throw invalid(`MISSING_TRANSITION_TARGET at ${at}: Next or End is required`);
    if (state.Type === 'Task' && !ACTIVITY_ARN.test(state.Resource ?? ''))
      throw invalid(`SCHEMA_VALIDATION_FAILED at ${at}/Resource: only activity ARNs are emulated`);
    if (state.Type === 'Choice' && !Array.isArray(state.Choices)) throw invalid(`MISSING_CHOICES at ${at}`);
  }
  return def;
}

/** Whether a Retry/Catch ErrorEquals list covers `error` (States.ALL, States.Timeout, States.TaskFailed). */
export function errorMatches(list: readonly string[], error: string): boolean {
  const timeout = error === 'States.Timeout' || error === 'States.HeartbeatTimeout';
  return list.some(
    (e) =>
      e === error ||
      e === 'States.ALL' ||
      (e === 'States.Timeout' && timeout) ||
      (e === 'States.TaskFailed' && !timeout && !error.startsWith('States.Runtime')),
  );
}

/** Retry delay in ms for the `attempt`-th retry (0-based) under `retrier`. */
export function retryDelayMs(retrier: Retrier, attempt: number): number {
  const seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  return Math.min(seconds, retrier.MaxDelaySeconds ?? Infinity) * 1000;
}

function compare(rule: ChoiceRule, value: unknown): boolean {
  for (const [op, expected] of Object.entries(rule)) {
    switch (op) {
      case 'StringEquals':
      case 'NumericEquals':
      case 'BooleanEquals':
        return value === expected;
      case 'NumericGreaterThan':
        return typeof value === 'number' && value > (expected as number);
      case 'NumericGreaterThanEquals':
        return typeof value === 'number' && value >= (expected as number);
      case 'NumericLessThan':
        return typeof value === 'number' && value < (expected as number);
      case 'NumericLessThanEquals':
        return typeof value === 'number' && value <= (expected as number);
      case 'IsNull':
        return (value === null) === expected;
      case 'IsBoolean':
        return (typeof value === 'boolean') === expected;
    }
  }
  throw new SfnError('States.Runtime', `Unsupported Choice rule ${JSON.stringify(rule).slice(0, 200)}`);
}

/** Evaluates one Choice rule against the state input. */
export function choiceMatches(rule: ChoiceRule, input: unknown): boolean {
  if (rule.And) return rule.And.every((r) => choiceMatches(r, input));
  if (rule.Or) return rule.Or.some((r) => choiceMatches(r, input));
  if (rule.Not) return !choiceMatches(rule.Not, input);
  if (rule.Variable === undefined) throw new SfnError('States.Runtime', 'Choice rule without Variable');
  if (rule.IsPresent !== undefined) return hasPath(rule.Variable, input) === rule.IsPresent;
  if (!hasPath(rule.Variable, input)) return false;
  return compare(rule, readPath(rule.Variable, input, {}));
}
