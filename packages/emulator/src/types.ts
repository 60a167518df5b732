/** Public option, control and observation types. */

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Longest a PollForTask is held before answering `{}`; default 90 000. */
  longPollMs?: number;
  /** Divides service time constants: 60 means one minute of service time passes in one second. */
  timeScale?: number;
  /** First ReportTaskProgress deadline after hand-out; default 2 min scaled (not scaled when given). */
  ackTimeoutMs?: number;
  /** Lease when an object has no `reportProgressTimeout`; default 15 min scaled (not scaled when given). */
  defaultReportProgressTimeoutMs?: number;
  /** Pipelines (definitions, tags, state) are saved here on change and reloaded on start. */
  stateFile?: string;
  /**
   * Ended tasks, worker groups idle and runners silent for longer than this (real ms) are dropped from
   * observations; default 1 hour.
   */
  observationRetentionMs?: number;
  /** At most this many ended tasks stay observable, newest kept; default 50 000. */
  maxEndedTasks?: number;
  /** Serve S3 on the same port (default true). */
  s3?: boolean;
  /** Buckets that exist from the start (and again after reset()). */
  s3Buckets?: string[];
  /** Largest PutObject / UploadPart body in bytes; default 5 GiB, as S3. */
  s3MaxPutBytes?: number;
  /** Smallest multipart part except the last, in bytes; default 5 MiB, as S3. */
  s3MinPartBytes?: number;
  log?: (line: string) => void;
}

export interface Emulator {
  readonly endpoint: string;
  readonly port: number;
  readonly control: EmulatorControl;
  /** The S3 side; undefined when started with `s3: false`. */
  readonly s3: EmulatorS3 | undefined;
  close(): Promise<void>;
}

/** Direct access to the emulator's S3 buckets, for test set-up and assertions. */
export interface EmulatorS3 {
  /** Equal to the emulator's endpoint: S3 path-style requests share the port (AWS_ENDPOINT_URL_S3). */
  readonly endpoint: string;
  createBucket(name: string): void;
  putObject(bucket: string, key: string, body: string | Uint8Array, contentType?: string): void;
  /** The object's bytes, or undefined when bucket or key does not exist. */
  getObject(bucket: string, key: string): Uint8Array | undefined;
  /** Keys under `prefix` in S3 order. */
  listKeys(bucket: string, prefix?: string): string[];
  /** Multipart uploads neither completed nor aborted. */
  openUploads(): Array<{ bucket: string; key: string; uploadId: string; parts: number }>;
}

export interface EmulatorControl {
  enqueueTask(spec: EnqueueTaskSpec): TaskRef;
  cancelTask(taskId: string): void;
  requestTerminate(taskrunnerId?: string): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  observations(): Observations;
  task(taskId: string): TaskObservation | undefined;
  waitFor(predicate: (o: Observations) => boolean, timeoutMs?: number): Promise<Observations>;
  reset(): void;
  /** Zeroes every group's `pollGaps` only: a measurement window starts (a bench's run, after its set-up). */
  resetPollGaps(): void;
}

export type EnqueueFieldValue = string | string[] | { ref: string };

export interface EnqueueTaskSpec {
  workerGroup: string;
  /** Default 'ShellCommandActivity'. */
  type?: string;
  fields?: Record<string, EnqueueFieldValue>;
  maximumRetries?: number;
  /** Period string such as '10 minutes'. */
  reportProgressTimeout?: string;
  attemptTimeout?: string;
  retryDelay?: string;
  /** Attach to an existing pipeline instead of the hidden per-workerGroup one. */
  pipelineId?: string;
}

export interface TaskRef {
  taskId: string;
  pipelineId: string;
  attemptId: string;
  objectId: string;
}

export type FaultKind = 'internal-error' | 'throttle' | 'latency' | 'drop';

export interface FaultSpec {
  /** Operation name such as 'PollForTask', or '*' (default). */
  operation?: string;
  kind: FaultKind;
  /** Apply to the next N matching calls; default: every matching call. */
  count?: number;
  /** 0..1, default 1. */
  probability?: number;
  latencyMs?: number;
  /**
   * For 'drop': 'before' (default) closes the socket without running the operation; 'after' runs it and
   * then closes the socket instead of answering (a lost response: a polled task is gone until its lease
   * expires).
   */
  when?: 'before' | 'after';
}

export interface GroupObservation {
  inFlightPolls: number;
  maxInFlightPolls: number;
  polls: number;
  emptyPolls: number;
  tasksHandedOut: number;
  /**
   * Time the group went without a poll after one handed out a task, by where the next poll came from.
   * Always present in the emulator's snapshots; optional so hand-built observations stay valid.
   */
  pollGaps?: PollGapObservation;
}

export interface PollGapObservation {
  /** The next poll came from the host that got the task (a runner's own loop). */
  sameHost: GapStats;
  /** The next poll came from another host (a hand-off between instances). */
  otherHost: GapStats;
}

export interface GapStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

export type TerminalTaskStatus = 'FINISHED' | 'FAILED' | 'FALSE' | 'CANCELED' | 'TIMEDOUT';

export interface TaskObservation {
  taskId: string;
  pipelineId: string;
  attemptId: string;
  objectId: string;
  workerGroup: string;
  type: string;
  handouts: number;
  acks: number;
  progressReports: number;
  lastProgressFields?: Record<string, string>;
  firstAckAt?: number;
  handedOutAt?: number;
  terminalStatus?: TerminalTaskStatus;
  errorId?: string;
  errorMessage?: string;
  errorStackTrace?: string;
  hostname?: string;
  canceled: boolean;
}

export interface AttemptObservation {
  attemptId: string;
  handouts: number;
  status: string;
}

export interface HeartbeatObservation {
  count: number;
  lastAt: number;
  workerGroup?: string;
  hostname?: string;
  /** The SigV4 access key id of the last heartbeat (the `Credential=` of its Authorization header). */
  accessKeyId?: string;
}

export interface Violation {
  at: number;
  kind: string;
  detail: string;
}

export type ActionEvent = 'onSuccess' | 'onFail' | 'onLateAction';

/** An action fired by an instance (an SnsAlarm "sent", a Terminate), with its texts evaluated. */
export interface ActionObservation {
  at: number;
  event: ActionEvent;
  /** The action object's id, e.g. the SnsAlarm. */
  actionId: string;
  type: string;
  pipelineId: string;
  /** Component and instance that fired it. */
  objectId: string;
  instanceId: string;
  topicArn?: string;
  subject?: string;
  message?: string;
}

export interface Observations {
  groups: Record<string, GroupObservation>;
  tasks: Record<string, TaskObservation>;
  attempts: Record<string, AttemptObservation>;
  heartbeats: Record<string, HeartbeatObservation>;
  violations: Violation[];
  requests: Record<string, number>;
  /**
   * Fired onSuccess/onFail/onLateAction actions, oldest first (the newest 10 000 are kept). Always
   * present in the emulator's snapshots; optional so hand-built Observations stay valid.
   */
  actions?: ActionObservation[];
}
