/** Fault injection: chosen per AWS operation before (or after) it runs. */
import { EmulatorError } from './errors.ts';
import type { FaultSpec } from './types.ts';

export interface FaultPlan {
  latencyMs: number;
  /** The first error-like fault that matched, if any. */
  terminal?: 'internal-error' | 'throttle' | 'drop-before' | 'drop-after';
}

const KINDS = new Set(['internal-error', 'throttle', 'latency', 'drop']);

export class FaultInjector {
  #faults: Array<FaultSpec & { remaining: number }> = [];
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  get active(): boolean {
    return this.#faults.length > 0;
  }

  add(fault: FaultSpec): void {
    if (!fault || !KINDS.has(fault.kind)) {
      throw new EmulatorError('EMU_INVALID_SPEC', `fault.kind must be one of ${[...KINDS].join(', ')}`);
    }
    if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
      throw new EmulatorError('EMU_INVALID_SPEC', 'fault.probability must be between 0 and 1');
    }
    if (fault.count !== undefined && !(Number.isInteger(fault.count) && fault.count >= 0)) {
      throw new EmulatorError('EMU_INVALID_SPEC', 'fault.count must be a non-negative integer');
    }
    if (fault.kind === 'latency' && !(typeof fault.latencyMs === 'number' && fault.latencyMs >= 0)) {
      throw new EmulatorError('EMU_INVALID_SPEC', 'a latency fault needs latencyMs >= 0');
    }
    this.#faults.push({ ...fault, remaining: fault.count ?? Infinity });
  }

  clear(): void {
    this.#faults = [];
  }

  plan(operation: string): FaultPlan | undefined {
    if (this.#faults.length === 0) return undefined;
    let plan: FaultPlan | undefined;
    for (const f of this.#faults) {
      if (f.remaining <= 0) continue;
      if (f.operation !== undefined && f.operation !== '*' && f.operation !== operation) continue;
      if (plan?.terminal && f.kind !== 'latency') continue;
      if (f.probability !== undefined && f.probability < 1 && this.#random() >= f.probability) continue;
      f.remaining--;
      plan ??= { latencyMs: 0 };
      if (f.kind === 'latency') plan.latencyMs += f.latencyMs ?? 0;
      else if (f.kind === 'drop') plan.terminal = f.when === 'after' ? 'drop-after' : 'drop-before';
      else plan.terminal = f.kind;
    }
    this.#faults = this.#faults.filter((f) => f.remaining > 0);
    return plan;
  }
}
