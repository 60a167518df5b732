import { readdirSync, readFileSync } from 'node:fs';
import process from 'node:process';

type GroupSignal = 'SIGTERM' | 'SIGKILL' | 'SIGINT';

/**
 * Signals every process in group `pgid`. A group that is already gone is not an error: callers signal
 * "whatever is left", often racing the processes' own exit.
 */
export function signalGroup(pgid: number, signal: GroupSignal): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ESRCH') throw error;
  }
}

/** `/proc/<pid>/stat` fields after the command name: state is [0], pgrp is [2]. */
function livingMemberOnLinux(pgid: number): boolean | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const wanted = String(pgid);
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited between readdir and read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[2] === wanted && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/**
 * True while a live process remains in group `pgid`. `kill(-pgid, 0)` alone also counts zombies, which
 * an init that reaps slowly (containers, microVMs) keeps around for a second or more, so on Linux a
 * positive answer is confirmed against /proc.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
  return livingMemberOnLinux(pgid) ?? true;
}
