/**
 * Decides which instance may poll a worker group. The runner asks for a permit with a free slot in
 * hand, polls, and releases the permit the moment the poll answers.
 */
export interface Coordinator {
  /** Human-readable kind for logs and status ('in-process', 'redis'). */
  readonly kind: string;
  /** Prepares connections; called once by the runner before the first acquire. */
  start?(): Promise<void>;
  /**
   * Resolves with a permit once this instance may poll `group`. While the coordinator cannot decide
   * (e.g. Redis unreachable) it keeps waiting: fail closed. Rejects with the signal's reason on abort.
   */
  acquire(group: string, signal: AbortSignal): Promise<PollPermit>;
  /** False while the coordinator cannot grant permits; feeds readiness. */
  isReady(): boolean;
  /** Publishes this instance's state for the fleet view (no-op for in-process). */
  publishInstance?(state: InstanceState): void;
  /** Releases everything and closes connections. */
  close(): Promise<void>;
}

/** The right to have one poll in flight for a group. */
export interface PollPermit {
  readonly group: string;
  /** Fencing number: increases every time any instance takes the group's lease. */
  readonly epoch: number;
  /** True once the coordinator saw the lease lost while the poll was in flight (counted, never aborts). */
  readonly lost: boolean;
  /**
   * Epoch ms until which the lease holds even if it is never renewed again, when the coordinator knows.
   * The runner gives a permit back unused rather than start a poll with less than `minPollLease` left.
   */
  readonly expiresAt?: number | undefined;
  /** Ends the permit and hands the group to the next waiting instance. Never throws. */
  release(): Promise<void>;
}

/** What an instance tells the fleet about itself. */
export interface InstanceState {
  readonly instanceId: string;
  readonly hostname: string;
  readonly runtime: string;
  readonly version: string;
  readonly startedAt: number;
  readonly state: string;
  readonly groups: Readonly<Record<string, { readonly slots: number; readonly busy: number }>>;
  readonly inFlight: readonly InFlightTask[];
}

export interface InFlightTask {
  readonly taskId: string;
  readonly attemptId: string;
  readonly group: string;
  readonly activityType: string;
  readonly startedAt: number;
}
