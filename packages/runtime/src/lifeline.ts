import { groupAlive } from './process-group.ts';

/**
 * The lifeline: a tiny `/bin/sh` watcher per spawned group, in its own session, whose stdin is a pipe
 * only the runner holds. The runner never writes to it; when the runner dies by any means (kill -9, OOM
 * killer, crash) the kernel closes the write end, `read` sees EOF and the watcher stops the group:
 * SIGTERM, up to {@link ORPHAN_GRACE_SECONDS} for it to go, then SIGKILL. A process group alone does not
 * do this (an orphaned group lives on under PID 1), and PR_SET_PDEATHSIG reaches only the direct child,
 * not a command's own children, and fires when the spawning *thread* ends.
 *
 * When the group ends normally the runner kills the watcher with SIGKILL, so the watcher never signals
 * a group id the kernel may have handed to someone else. The command itself waits behind a gate until
 * its watcher runs (see {@link gatedArgs}).
 */
const WATCHER_SCRIPT = [
  // Blocks until EOF: nothing is ever written, so only the runner's death (or the runner closing it) ends it.
  'while read -r _; do :; done',
  'kill -TERM -"$1" 2>/dev/null || exit 0',
  'i=0',
  'while [ "$i" -lt "$2" ] && kill -0 -"$1" 2>/dev/null; do sleep 0.1; i=$((i+1)); done',
  'kill -KILL -"$1" 2>/dev/null',
  'exit 0',
].join('\n');

/**
 * The gate every command starts behind: `/bin/sh` waits for one line on its stdin, then execs the real
 * program in its place (same pid, so the same process group and exit status) with stdin from /dev/null.
 * The runner writes that line only once the watcher is running, so there is no moment at which the
 * command runs unwatched; a runner killed before that leaves the gate reading EOF, and it exits 125
 * without running anything.
 */
/** Exit code of a command whose runner died before letting it start. */
const GATE_CLOSED_EXIT = 125;
const GATE_SCRIPT = `IFS= read -r _ || exit ${GATE_CLOSED_EXIT}; exec "$0" "$@" </dev/null`;

/** `/bin/sh` arguments that run `command args` behind the gate. */
export function gatedArgs(command: string, args: readonly string[]): string[] {
  return ['-c', GATE_SCRIPT, command, ...args];
}

/** Time an orphaned group gets between SIGTERM and SIGKILL once its runner is gone. */
export const ORPHAN_GRACE_SECONDS = 2;

/** `/bin/sh` arguments of the watcher of group `pgid`; $0 names it in `ps`. */
export function watcherArgs(pgid: number): string[] {
  return ['-c', WATCHER_SCRIPT, 'tasklane-lifeline', String(pgid), String(ORPHAN_GRACE_SECONDS * 10)];
}

/** Keeps a timer from holding the event loop open (Node and Bun return objects, Deno numbers). */
function unrefTimer(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer) {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === 'number') deno?.unrefTimer?.(timer);
}

const GROUP_POLL_MS = 250;

/**
 * Calls `release` once the leader has exited and no live process is left in group `pgid` (members that
 * outlive the leader stay covered by the lifeline). Polling never keeps the runner alive: if it exits
 * first, the watcher sees EOF and stops what is left.
 */
export function releaseWhenGroupEnds(pgid: number, exited: Promise<unknown>, release: () => void): void {
  const check = () => {
    if (!groupAlive(pgid)) {
      release();
      return;
    }
    unrefTimer(setTimeout(check, GROUP_POLL_MS));
  };
  exited.then(check, release);
}
