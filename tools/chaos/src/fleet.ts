/** The runner processes of a chaos run: started, killed, drained and accounted for. */
import type { GroupProcess } from '@tasklane/test-utils';
import { startTasklane } from '@tasklane/test-utils/harness';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATE_SHUTDOWN_MS, SHUTDOWN_MS } from './config.ts';

const plugin = fileURLToPath(new URL('../fixtures/chaos-plugin.mjs', import.meta.url));
/** Time a runner gets to install its signal handlers before the run may SIGTERM it. */
const STARTUP_MS = 3000;

export interface RunnerEntry {
  readonly proc: GroupProcess;
  readonly name: string;
  readonly kind: 'fleet' | 'late';
  /** Shell tasks of this runner write their children's pids under it (TASKLANE_WORK_DIR). */
  readonly workDir: string;
  readonly startedAt: number;
  expectedExit: 'any' | 0 | 'running';
  killedAt?: number;
  termAt?: number;
}

export interface FleetOptions {
  readonly endpoint: string;
  readonly redisUrl: string;
  readonly groups: readonly string[];
  readonly lateGroup: string;
  readonly baseDir: string;
  /** The runners' `--redis-turn` in ms; unset, the coordinator's default. */
  readonly turnMs?: number | undefined;
}

export class Fleet {
  /** Every runner ever started, by hostname, for the verdict's explanations. */
  readonly all = new Map<string, RunnerEntry>();
  readonly unexpectedExits: string[] = [];
  readonly #live = new Set<RunnerEntry>();
  readonly #prefix = `tl-chaos-${Date.now()}:`;
  #nextId = 0;

  constructor(private readonly options: FleetOptions) {}

  live(kind: RunnerEntry['kind'] = 'fleet'): RunnerEntry[] {
    return [...this.#live].filter((e) => e.kind === kind && e.expectedExit === 'running');
  }

  start(kind: RunnerEntry['kind'] = 'fleet'): RunnerEntry {
    const name = `${kind === 'late' ? 'late' : 'runner'}-${++this.#nextId}`;
    const workDir = join(this.options.baseDir, name);
    mkdirSync(workDir, { recursive: true });
    const groups = kind === 'late' ? [this.options.lateGroup] : this.options.groups;
    const proc = startTasklane(
      'node',
      [
        'run',
        ...groups.flatMap((g) => ['--worker-group', g]),
        ...['--endpoint', this.options.endpoint, '--redis-url', this.options.redisUrl],
        ...['--redis-key-prefix', this.#prefix, '--hostname', name],
        // Naming a plugin replaces the default set, so the shell plugin is named too.
        ...['--plugin', plugin, '--plugin', '@tasklane/handlers-shell'],
        ...['--concurrency', '3', '--progress-interval', '300ms', '--lease', '2s'],
        ...['--shutdown-timeout', `${kind === 'late' ? LATE_SHUTDOWN_MS : SHUTDOWN_MS}ms`],
        ...['--log-level', 'warn'],
        ...(this.options.turnMs === undefined ? [] : ['--redis-turn', `${this.options.turnMs}ms`]),
      ],
      { TASKLANE_WORK_DIR: workDir },
    );
    const entry: RunnerEntry = { proc, name, kind, workDir, expectedExit: 'running', startedAt: Date.now() };
    this.all.set(name, entry);
    this.#live.add(entry);
    void proc.exited.then((code) => {
      this.#live.delete(entry);
      if (entry.expectedExit === 'any') return;
      if (entry.expectedExit === 0 && code === 0) return;
      this.unexpectedExits.push(`${name} exited ${String(code)}: ${proc.output().slice(-2000)}`);
    });
    return entry;
  }

  /** Resolves once the runner is past start-up: a SIGTERM before then is the OS default, not a drain. */
  settled(entry: RunnerEntry): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.max(0, entry.startedAt + STARTUP_MS - Date.now())));
  }

  kill9(entry: RunnerEntry): void {
    entry.expectedExit = 'any';
    entry.killedAt = Date.now();
    entry.proc.signal('SIGKILL');
  }

  /** SIGTERM; the runner must drain and exit 0. */
  terminate(entry: RunnerEntry): void {
    entry.expectedExit = 0;
    entry.termAt = Date.now();
    entry.proc.signal('SIGTERM');
  }

  /** Drains every live runner (exit 0 expected) and waits for all of them. */
  async stopAll(graceMs: number): Promise<void> {
    const live = [...this.#live];
    for (const entry of live) if (entry.expectedExit === 'running') entry.expectedExit = 0;
    await Promise.all(live.map((e) => this.settled(e)));
    await Promise.all(live.map((e) => e.proc.stop(graceMs)));
  }

  /** Last resort at exit: whatever is left, killed. */
  async kill(): Promise<void> {
    await Promise.all([...this.#live].map((e) => e.proc.stop(2000)));
  }
}
