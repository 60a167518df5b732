/** What operators do to running work: SetStatus actions and the control API's enqueue and cancel. */
import { stopTask, withdraw } from './attempts.ts';
import { createInstance } from './instance-factory.ts';
import { openTask, setInstanceStatus } from './instance-state.ts';
import { attemptEnded, cancelInstance, finishInstance, makeReady, rerunInstance } from './instances.ts';
import { TERMINAL_INSTANCE } from './model.ts';
import type { ApiObject, Instance, Pipeline, Task } from './model.ts';
import type { ServiceState } from './service.ts';

export { cancelInstance, rerunInstance };

/** A task straight from the control API, on a hidden or named pipeline. */
export function enqueueDirect(s: ServiceState, p: Pipeline, component: ApiObject): Instance {
  p.components.set(component.id, component);
  const now = s.clock.now();
  const inst = createInstance(s, p, component.id, 'activity', now, now, { direct: true });
  makeReady(s, inst);
  return inst;
}

/** Control API cancel: works on queued and handed tasks alike. */
export function cancelTask(s: ServiceState, task: Task): void {
  if (task.state === 'closed') return;
  if (task.state === 'handed') return stopTask(s, task);
  withdraw(s, task);
  attemptEnded(s, task.attempt, 'CANCELED');
}

export function markFinished(s: ServiceState, inst: Instance): void {
  if (TERMINAL_INSTANCE.has(inst.status)) return;
  stopTask(s, openTask(inst));
  finishInstance(s, inst, 'FINISHED');
}

/** PAUSE: queued tasks of the component are held; new ones wait as PAUSED. */
export function pauseComponent(s: ServiceState, p: Pipeline, componentId: string): void {
  p.paused.add(componentId);
  for (const inst of p.instances.values()) {
    if (inst.componentId !== componentId || inst.status !== 'WAITING_FOR_RUNNER') continue;
    const task = openTask(inst);
    if (task?.state === 'queued') {
      s.queues.withdraw(task);
      setInstanceStatus(inst, 'PAUSED');
    }
  }
}

export function resumeComponent(s: ServiceState, p: Pipeline, componentId: string): void {
  p.paused.delete(componentId);
  for (const inst of p.instances.values()) {
    if (inst.componentId !== componentId || inst.status !== 'PAUSED') continue;
    const task = openTask(inst);
    if (task?.state === 'queued') {
      setInstanceStatus(inst, 'WAITING_FOR_RUNNER');
      s.queues.offer(task);
    } else {
      setInstanceStatus(inst, 'WAITING_ON_DEPENDENCIES');
      makeReady(s, inst);
    }
  }
}
