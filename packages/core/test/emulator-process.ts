/**
 * The emulator in its own process, for tests whose handlers block the runner's main thread: an
 * in-process emulator would be blocked with it. Driven through its HTTP control API.
 */
import { fileURLToPath } from 'node:url';
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { TaskHandler, type TaskHandlerClass } from '../src/index.ts';

const emulatorBin = fileURLToPath(new URL('../../emulator/bin/tasklane-emulator.mjs', import.meta.url));

interface ObservedTask {
  terminalStatus?: string;
  handouts: number;
  progressReports: number;
}

interface Observed {
  tasks: Record<string, ObservedTask | undefined>;
  violations: unknown[];
}

export interface EmulatorProcess {
  readonly endpoint: string;
  /** Queues a task of `type` on `group` with the given attempt fields; returns its id. */
  enqueue(group: string, type: string, fields?: Record<string, unknown>): Promise<string>;
  /** Observations once every task in `taskIds` has a terminal status, or at `timeoutMs`. */
  settled(taskIds: readonly string[], timeoutMs: number): Promise<Observed>;
  stop(): Promise<unknown>;
}

export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  const proc: GroupProcess = spawnGroup('node', [emulatorBin, '--port', '0', '--long-poll', '1s', '--quiet']);
  const [, endpoint] = await proc.waitForOutput(/emulator listening on (http:\S+)/);
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${endpoint}/_tasklane/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as T;
  };
  return {
    endpoint: endpoint!,
    async enqueue(group, type, fields = {}) {
      const { taskId } = await control<{ taskId: string }>('POST', 'enqueue', {
        workerGroup: group,
        type,
        ...fields,
      });
      return taskId;
    },
    async settled(taskIds, timeoutMs) {
      const until = Date.now() + timeoutMs;
      let seen: Observed;
      do {
        await new Promise((r) => setTimeout(r, 200));
        seen = await control<Observed>('GET', 'observations');
      } while (!taskIds.every((id) => seen.tasks[id]?.terminalStatus) && Date.now() < until);
      return seen;
    },
    stop: () => proc.stop(),
  };
}

/** A handler that spins on its thread for `ms` without yielding (chaos `cpu-block`). */
export function spinHandler(type: string, ms: number): TaskHandlerClass {
  return TaskHandler(type)(
    class {
      handle() {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          /* CPU-bound work that never yields */
        }
      }
    },
  );
}
