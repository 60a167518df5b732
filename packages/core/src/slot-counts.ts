import type { InstanceState } from './coordinator.ts';

/** Slots of one worker group on one instance, as an operator counts them. */
export interface GroupSlotCounts {
  readonly slots: number;
  /** Slots running a task. */
  readonly running: number;
  /** Slots reserved for a poll in flight or waiting for the fleet's lease: no task runs in them. */
  readonly polling: number;
  readonly free: number;
}

/** An instance's slots per group and in total. */
export interface SlotCounts {
  readonly groups: Readonly<Record<string, GroupSlotCounts>>;
  readonly running: number;
  readonly polling: number;
  readonly free: number;
}

/**
 * Counts a published instance's slots. The runner takes a group's slot from its pool for the poll, so
 * its published `busy` includes that slot and an idle runner would look busy: running slots are the
 * in-flight tasks, the rest of `busy` polls. Every fleet view (the /fleet pages, `tasklane status`)
 * counts through here so they never disagree.
 */
export function slotCounts(state: Pick<InstanceState, 'groups' | 'inFlight'>): SlotCounts {
  const tasksPerGroup = new Map<string, number>();
  for (const t of state.inFlight ?? []) tasksPerGroup.set(t.group, (tasksPerGroup.get(t.group) ?? 0) + 1);
  const groups: Record<string, GroupSlotCounts> = {};
  let running = 0;
  let polling = 0;
  let free = 0;
  for (const [group, g] of Object.entries(state.groups ?? {})) {
    const tasks = tasksPerGroup.get(group) ?? 0;
    const taken = Math.max(g.busy, tasks);
    const counted = {
      slots: g.slots,
      running: tasks,
      polling: taken - tasks,
      free: Math.max(0, g.slots - taken),
    };
    groups[group] = counted;
    running += counted.running;
    polling += counted.polling;
    free += counted.free;
  }
  return { groups, running, polling, free };
}
