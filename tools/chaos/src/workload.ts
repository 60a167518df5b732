/** The work a chaos run enqueues: plain units, and the units each fault brings, tagged by what they test. */
import type { EnqueueTaskSpec, TaskRef } from '@tasklane/emulator';
import { LEASE_SECONDS } from './config.ts';

/** What a unit exercises; the verdict holds some kinds to stricter outcomes. */
export type UnitKind = 'plain' | 'block' | 'hostile-shell' | 'hostile-throw' | 'shell-sleep' | 'late';

export interface Unit extends TaskRef {
  readonly kind: UnitKind;
  readonly workerGroup: string;
  /** Longest time its handler should take, for matching faults to the attempts they could touch. */
  readonly workMs: number;
  readonly enqueuedAt: number;
  readonly maxAttempts: number;
}

/** Stderr no terminal or service should get raw: colours, cursor moves, titles, NULs, bells, binary. */
export const HOSTILE_STDERR_COMMAND =
  "(printf '\\033[31mERROR\\033[0m \\033]0;owned\\007 \\001\\002\\000 bell\\007\\r\\n\\033[2J'; " +
  "head -c 20000 /dev/urandom; printf '\\355\\240\\200 lone surrogate bytes\\n') >&2; exit 3";

export class Workload {
  readonly units: Unit[] = [];

  constructor(private readonly enqueue: (spec: EnqueueTaskSpec) => TaskRef) {}

  add(kind: UnitKind, workerGroup: string, spec: Omit<EnqueueTaskSpec, 'workerGroup'>, workMs: number): Unit {
    const full: EnqueueTaskSpec = {
      maximumRetries: 5,
      retryDelay: '1 second',
      reportProgressTimeout: `${LEASE_SECONDS} seconds`,
      ...spec,
      workerGroup,
    };
    const ref = this.enqueue(full);
    const maxAttempts = (full.maximumRetries ?? 5) + 1;
    const unit: Unit = { ...ref, kind, workerGroup, workMs, enqueuedAt: Date.now(), maxAttempts };
    this.units.push(unit);
    return unit;
  }

  plain(group: string, workMs: number): Unit {
    return this.add('plain', group, { type: 'ChaosActivity', fields: { myWorkMs: String(workMs) } }, workMs);
  }

  block(group: string, blockMs: number): Unit {
    return this.add(
      'block',
      group,
      { type: 'ChaosBlockActivity', fields: { myBlockMs: String(blockMs) } },
      blockMs,
    );
  }

  /** One attempt only: its FAILED must be accepted as sent, or the unit ends TIMEDOUT. */
  hostileShell(group: string): Unit {
    return this.add(
      'hostile-shell',
      group,
      { type: 'ShellCommandActivity', fields: { command: HOSTILE_STDERR_COMMAND }, maximumRetries: 0 },
      500,
    );
  }

  hostileThrow(group: string, how: 'null-prototype' | 'junk'): Unit {
    return this.add(
      'hostile-throw',
      group,
      { type: 'ChaosHostileActivity', fields: { myThrow: how }, maximumRetries: 0 },
      100,
    );
  }

  /**
   * A shell task whose `sleep` (not the group leader) records its pid in the runner's work directory:
   * TASKLANE_ATTEMPT_DIR is `<TASKLANE_WORK_DIR>/tasklane-shell/<attempt>`, the one path a scrubbed task
   * environment still tells it.
   */
  shellSleep(group: string, seconds: number): Unit {
    const command = `sleep ${seconds} & echo $! >> "\${TASKLANE_ATTEMPT_DIR%/*/*}/children"; wait`;
    return this.add(
      'shell-sleep',
      group,
      { type: 'ShellCommandActivity', fields: { command } },
      seconds * 1000,
    );
  }

  late(group: string): Unit {
    return this.add('late', group, { type: 'ChaosActivity', fields: { myWorkMs: '50' } }, 50);
  }
}
