/** Internal runtime model: pipelines, compiled instances, attempts and the tasks handed to runners. */
import type { TimerHandle } from './clock.ts';
import type { QueueNode } from './linked-queue.ts';
import type { AttemptObservation, TaskObservation } from './types.ts';

export interface ApiField {
  key: string;
  stringValue?: string;
  refValue?: string;
}

export interface ApiObject {
  id: string;
  name: string;
  fields: ApiField[];
}

export interface ParameterObject {
  id: string;
  attributes: Array<{ key: string; stringValue: string }>;
}

export interface ParameterValue {
  id: string;
  stringValue: string;
}

export interface Definition {
  objects: ApiObject[];
  parameterObjects: ParameterObject[];
  parameterValues: ParameterValue[];
  version: number;
}

export type PipelineState = 'PENDING' | 'SCHEDULED' | 'FINISHED' | 'DEACTIVATING' | 'INACTIVE';

export interface Pipeline {
  id: string;
  name: string;
  uniqueId: string;
  description?: string;
  tags: Map<string, string>;
  createdAt: number;
  userId: string;
  state: PipelineState;
  deleted: boolean;
  /** Created by control.enqueueTask; left out of ListPipelines. */
  hidden: boolean;
  latest?: Definition;
  active?: Definition;
  lastActivatedAt?: number;
  /** Components of the active definition after parameter substitution, plus enqueued ones. */
  components: Map<string, ApiObject>;
  /** Parameter values of the active run, for `#{myParam}` inside larger expressions. */
  parameters: Map<string, string>;
  paused: Set<string>;
  instances: Map<string, Instance>;
  attempts: Map<string, Attempt>;
  /** Bumped per activation so timers of an older run do nothing. */
  run: number;
  lastRunStart: number;
  scheduleTimers: Set<TimerHandle>;
  /** Schedules that still have occurrences to create in this run. */
  openSchedules: number;
  /** Non-terminal instances of the current run; FINISHED when it reaches 0 (counters avoid scans). */
  openInstances: number;
  /** Tasks handed out and not closed, any run; DEACTIVATING becomes INACTIVE at 0. */
  handedTasks: number;
  /** Enqueued by the control API: ready regardless of pipeline state. */
  enqueueSeq: number;
}

export type InstanceKind = 'activity' | 'precondition';

export interface Instance {
  id: string;
  pipeline: Pipeline;
  componentId: string;
  kind: InstanceKind;
  type: string;
  /** The component's user fields resolved through parent and Default. */
  userFields: ApiField[];
  workerGroup: string;
  scheduledStart: number;
  scheduledEnd: number;
  status: string;
  attempts: Attempt[];
  actualStart?: number;
  actualEnd?: number;
  dependsOn: Instance[];
  dependents: Instance[];
  preconditionIds: string[];
  /** Precondition id → the input data node it guards, for preconditions declared on a data node. */
  preconditionNodes: Map<string, string>;
  /** For a precondition instance declared on a data node: that node (Exists checks its location). */
  checksNode?: string;
  preconditions: Instance[];
  /** For a precondition instance: the activity instances waiting on it. */
  waiters: Instance[];
  maximumRetries: number;
  retryDelayMs: number;
  attemptTimeoutMs?: number;
  reportProgressTimeoutMs: number;
  preconditionTimeoutMs?: number;
  firstCheckAt?: number;
  retryTimer?: TimerHandle;
  /** Fires onLateAction after lateAfterTimeout. */
  lateTimer?: TimerHandle;
  cascadeFailedOn?: string;
  waitingOn?: string;
  errorMessage?: string;
  run: number;
  /** Attempts made since creation or the last RERUN; compared against maximumRetries. */
  tries: number;
  /** Created by control.enqueueTask. */
  direct: boolean;
}

export interface Attempt {
  id: string;
  instance: Instance;
  n: number;
  status: string;
  task?: Task;
  hostname?: string;
  errorId?: string;
  errorMessage?: string;
  errorStackTrace?: string;
  attemptStatus?: string;
  actualStart?: number;
  actualEnd?: number;
  reportProgressTime?: number;
  obs: AttemptObservation;
}

export type TaskState = 'queued' | 'handed' | 'closed';
export type CloseReason = 'status' | 'expired' | 'canceled' | 'withdrawn';

export interface Task {
  taskId: string;
  attempt: Attempt;
  workerGroup: string;
  state: TaskState;
  acked: boolean;
  node?: QueueNode<Task>;
  /** Set when the service wants the runner to stop; `cancelDelivered` once a report answered canceled. */
  cancelRequested: boolean;
  cancelDelivered: boolean;
  closeReason?: CloseReason;
  leaseDeadline: number;
  attemptDeadline: number;
  timer?: TimerHandle;
  timerDue: number;
  obs: TaskObservation;
}

export const TERMINAL_INSTANCE = new Set([
  'FINISHED',
  'FAILED',
  'CANCELED',
  'CASCADE_FAILED',
  'TIMEDOUT',
  'SKIPPED',
]);
