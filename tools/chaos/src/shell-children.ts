/** Shell children of chaos runners, found through the pid files their tasks write. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How long a child may outlive its killed runner: the lifeline's 2 s grace plus a loaded machine. */
export const ORPHAN_DEADLINE_MS = 6000;

/** Exists and is not a zombie (a slow init keeps zombies around for a while). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of the runner's shell children that are running now. */
export function liveChildren(workDir: string): number[] {
  let text: string;
  try {
    text = readFileSync(join(workDir, 'children'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0 && alive(pid));
}

/**
 * Resolves with one problem per child of `runner` still running {@link ORPHAN_DEADLINE_MS} after the
 * runner was killed, and kills those so the run can go on.
 */
export async function checkShellChildren(runner: string, pids: readonly number[]): Promise<string[]> {
  const deadline = Date.now() + ORPHAN_DEADLINE_MS;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const survivors = pids.filter(alive);
  for (const pid of survivors) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  return survivors.map(
    (pid) =>
      `shell child ${pid} of ${runner} still running ${ORPHAN_DEADLINE_MS / 1000} s after kill -9 of its runner`,
  );
}
