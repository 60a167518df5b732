/**
 * Real processes for the benches that measure what users run: the emulator via `tasklane emulator`,
 * runners via apps/runner-node/bin/tasklane, the raw-SDK baseline via fixtures/raw-loop.mjs. The bench
 * drives the emulator through its HTTP control API, so nothing measured shares the bench's event loop.
 */
import { freePort, spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const TASKLANE_BIN = `${root}apps/runner-node/bin/tasklane`;
const PLUGIN = fileURLToPath(new URL('../fixtures/noop-plugin.mjs', import.meta.url));
const RAW_LOOP = fileURLToPath(new URL('../fixtures/raw-loop.mjs', import.meta.url));
const CLOCK_TICKS = 100;
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' };

/** User + system CPU seconds of a process, from the kernel's accounting (all its threads). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface GapStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

interface GroupObservation {
  inFlightPolls: number;
  maxInFlightPolls: number;
  polls: number;
  tasksHandedOut: number;
  pollGaps?: { sameHost: GapStats; otherHost: GapStats };
}

/** The emulator in its own process, and its control API over HTTP. */
export class EmulatorProcess {
  readonly endpoint: string;
  readonly proc: GroupProcess;

  private constructor(endpoint: string, proc: GroupProcess) {
    this.endpoint = endpoint;
    this.proc = proc;
  }

  static async start(longPoll = '2s'): Promise<EmulatorProcess> {
    const port = await freePort();
    const proc = spawnGroup(TASKLANE_BIN, ['emulator', '--port', String(port), '--long-poll', longPoll], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    const emu = new EmulatorProcess(`http://127.0.0.1:${port}`, proc);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(`${emu.endpoint}/_tasklane/health`);
        if (r.ok) return emu;
      } catch {}
      if (Date.now() > deadline) throw new Error(`emulator did not start: ${proc.output()}`);
      await sleep(50);
    }
  }

  async #call(method: string, path: string, body?: unknown): Promise<any> {
    const r = await fetch(`${this.endpoint}/_tasklane/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (r.status === 404) return undefined;
    if (!r.ok) throw new Error(`control ${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  }

  /** Enqueues `count` no-op tasks, a few requests at a time; returns their ids in order. */
  async enqueue(group: string, count: number): Promise<string[]> {
    const ids = new Array<string>(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        ids[i] = (await this.#call('POST', 'enqueue', { workerGroup: group, type: 'NoopActivity' })).taskId;
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    return ids;
  }

  async terminal(taskId: string): Promise<boolean> {
    const t = await this.#call('GET', `tasks/${encodeURIComponent(taskId)}`);
    return t?.terminalStatus !== undefined;
  }

  async group(name: string): Promise<GroupObservation | undefined> {
    return (await this.#call('GET', 'observations')).groups[name];
  }

  async unfinished(ids: readonly string[]): Promise<number> {
    const tasks = (await this.#call('GET', 'observations')).tasks;
    return ids.filter((id) => tasks[id]?.terminalStatus !== 'FINISHED').length;
  }

  /** How many of `ids` each host ran (the hostname of the poll that received the task). */
  async tasksPerHost(ids: readonly string[]): Promise<Map<string, number>> {
    const tasks = (await this.#call('GET', 'observations')).tasks;
    const counts = new Map<string, number>();
    for (const id of ids) {
      const host = tasks[id]?.hostname;
      if (host !== undefined) counts.set(host, (counts.get(host) ?? 0) + 1);
    }
    return counts;
  }

  reset(): Promise<void> {
    return this.#call('POST', 'reset', {});
  }

  /** Starts the poll-gap window: a wait that began during the set-up (runners stopped) is not counted. */
  resetPollGaps(): Promise<void> {
    return this.#call('POST', 'poll-gaps/reset', {});
  }

  /** Waits until the group has a poll in flight (its runners are up and idle). */
  async polling(name: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (((await this.group(name))?.inFlightPolls ?? 0) < 1) {
      if (Date.now() > deadline) throw new Error(`nobody polls ${name}`);
      await sleep(20);
    }
  }

  close(): Promise<number | string> {
    return this.proc.stop(5000);
  }
}

export interface RunnerSpec {
  readonly group: string;
  readonly concurrency: number;
  readonly redisUrl?: string;
  readonly keyPrefix?: string;
  readonly lease?: string;
  readonly hostname?: string;
}

/** One `tasklane run` process with the no-op plugin. */
export function startTasklane(emulator: EmulatorProcess, spec: RunnerSpec): GroupProcess {
  const args = [
    'run',
    '--worker-group',
    spec.group,
    '--endpoint',
    emulator.endpoint,
    '--plugin',
    PLUGIN,
    '--concurrency',
    String(spec.concurrency),
    '--log-level',
    'warn',
    '--hostname',
    spec.hostname ?? 'bench',
  ];
  if (spec.redisUrl) args.push('--redis-url', spec.redisUrl, '--redis-key-prefix', spec.keyPrefix ?? 'tl:');
  if (spec.lease) args.push('--lease', spec.lease);
  return spawnGroup(TASKLANE_BIN, args, { env: { ...process.env, ...AWS_ENV, NODE_NO_WARNINGS: '1' } });
}

/** The raw-SDK baseline loop in its own Node process. */
export function startRawLoop(emulator: EmulatorProcess, group: string, concurrency: number): GroupProcess {
  return spawnGroup(process.execPath, [RAW_LOOP], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      ENDPOINT: emulator.endpoint,
      WG: group,
      CONCURRENCY: String(concurrency),
    },
  });
}
