/** The control API over HTTP under `/_tasklane/`: the same functions as `emulator.control`. */
import { EmulatorError } from './errors.ts';
import type { EmulatorControl, EnqueueTaskSpec, FaultSpec } from './types.ts';

export interface ControlResponse {
  status: number;
  body: string;
}

const ok = (value: unknown): ControlResponse => ({ status: 200, body: JSON.stringify(value ?? {}) });
const fail = (status: number, code: string, message: string): ControlResponse => ({
  status,
  body: JSON.stringify({ error: code, message }),
});

export function handleControlRequest(
  control: EmulatorControl,
  method: string,
  path: string,
  body: string,
): ControlResponse {
  try {
    const route = `${method} ${path.split('?')[0]}`;
    const input = (): Record<string, unknown> => {
      if (body.trim() === '') return {};
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new EmulatorError('EMU_INVALID_SPEC', 'the request body must be a JSON object');
      }
      return parsed as Record<string, unknown>;
    };
    switch (route) {
      case 'GET health':
        return ok({ ok: true });
      case 'POST enqueue':
        return ok(control.enqueueTask(input() as unknown as EnqueueTaskSpec));
      case 'POST cancel': {
        const taskId = input().taskId;
        if (typeof taskId !== 'string')
          throw new EmulatorError('EMU_INVALID_SPEC', 'taskId (string) is required');
        control.cancelTask(taskId);
        return ok({});
      }
      case 'POST terminate': {
        const id = input().taskrunnerId;
        if (id !== undefined && typeof id !== 'string')
          throw new EmulatorError('EMU_INVALID_SPEC', 'taskrunnerId must be a string');
        control.requestTerminate(id);
        return ok({});
      }
      case 'POST faults':
        control.injectFault(input() as unknown as FaultSpec);
        return ok({});
      case 'DELETE faults':
        control.clearFaults();
        return ok({});
      case 'GET observations':
        return ok(control.observations());
      case 'POST reset':
        control.reset();
        return ok({});
      case 'POST poll-gaps/reset':
        control.resetPollGaps();
        return ok({});
    }
    if (method === 'GET' && path.startsWith('tasks/')) {
      const task = control.task(decodeURIComponent(path.slice('tasks/'.length)));
      return task ? ok(task) : fail(404, 'EMU_UNKNOWN_TASK', 'no such task');
    }
    return fail(404, 'EMU_NOT_FOUND', `no control route ${route}`);
  } catch (err) {
    if (err instanceof EmulatorError) return fail(400, err.code, err.message);
    if (err instanceof SyntaxError)
      return fail(400, 'EMU_INVALID_SPEC', `the request body is not valid JSON: ${err.message}`);
    return fail(500, 'EMU_INTERNAL', err instanceof Error ? err.message : String(err));
  }
}
