import type { Emulator } from '@tasklane/emulator';

/**
 * Waits until every task id has a terminal status. Checks on a timer rather than on every emulator
 * state change: with thousands of tasks a per-change predicate would cost more than the work measured.
 */
export async function waitTerminal(
  emulator: Emulator,
  ids: readonly string[],
  timeoutMs = 600_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let remaining = [...ids];
  for (;;) {
    remaining = remaining.filter((id) => emulator.control.task(id)?.terminalStatus === undefined);
    if (remaining.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${remaining.length} tasks still not terminal after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, remaining.length > 50 ? 20 : 2));
  }
}
