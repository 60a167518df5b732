/** Pipeline records and lookups shared by the operations. */
import { PipelineDeletedError, PipelineNotFoundError } from './errors.ts';
import { newPipelineId } from './ids.ts';
import type { Pipeline } from './model.ts';
import type { ServiceState } from './service.ts';

export function newPipeline(
  state: ServiceState,
  init: {
    name: string;
    uniqueId: string;
    description?: string;
    userId: string;
    hidden?: boolean;
    id?: string;
    createdAt?: number;
  },
): Pipeline {
  let id = init.id ?? newPipelineId();
  while (!init.id && state.pipelines.has(id)) id = newPipelineId();
  const p: Pipeline = {
    id,
    name: init.name,
    uniqueId: init.uniqueId,
    tags: new Map(),
    createdAt: init.createdAt ?? state.clock.now(),
    userId: init.userId,
    state: 'PENDING',
    deleted: false,
    hidden: init.hidden ?? false,
    components: new Map(),
    parameters: new Map(),
    paused: new Set(),
    instances: new Map(),
    attempts: new Map(),
    run: 0,
    lastRunStart: 0,
    scheduleTimers: new Set(),
    openSchedules: 0,
    openInstances: 0,
    handedTasks: 0,
    enqueueSeq: 0,
  };
  if (init.description !== undefined) p.description = init.description;
  state.pipelines.set(id, p);
  if (!p.hidden) state.byNameAndUniqueId.set(nameKey(p.name, p.uniqueId), id);
  return p;
}

export function nameKey(name: string, uniqueId: string): string {
  return `${name}\u0000${uniqueId}`;
}

/** The pipeline, or PipelineNotFoundException / PipelineDeletedException. */
export function getPipeline(state: ServiceState, id: string): Pipeline {
  const p = state.pipelines.get(id);
  if (!p) throw new PipelineNotFoundError(id);
  if (p.deleted) throw new PipelineDeletedError(id);
  return p;
}

/** The hidden on-demand pipeline that control.enqueueTask puts tasks of one worker group into. */
export function hiddenPipeline(state: ServiceState, workerGroup: string): Pipeline {
  let p = state.hiddenByGroup.get(workerGroup);
  if (!p || p.deleted) {
    p = newPipeline(state, {
      name: `tasklane-enqueued:${workerGroup}`,
      uniqueId: `tasklane-enqueued:${workerGroup}`,
      userId: 'emulator',
      hidden: true,
    });
    p.state = 'SCHEDULED';
    p.run = 1;
    state.hiddenByGroup.set(workerGroup, p);
  }
  return p;
}
