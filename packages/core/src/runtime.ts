/**
 * What the portable core needs from the runtime it runs on. Hosts (Node, Bun, Deno apps) supply these;
 * core itself never touches `node:*`, `Bun` or `Deno`.
 */
export interface RuntimePrimitives {
  /** 'node', 'bun', 'deno' or anything a custom host reports. */
  readonly name: string;
  readonly version: string;
  hostname(): string;
  env(name: string): string | undefined;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring intervals. */
  monotonicNow(): number;
  /** Registers a listener for SIGTERM/SIGINT; returns a function that unregisters it. */
  onShutdownSignal?(listener: (signal: string) => void): () => void;
  /** Spawns a child process; needed by plugins such as the shell handlers. */
  spawn?: ProcessSpawner;
  /**
   * Starts a Web-Worker-style thread running the ES module at `url`. The runner keeps leases on one, so
   * a handler that blocks the main thread cannot starve them. Absent: leases are kept on the main thread.
   */
  startThread?(url: URL): ThreadHandle;
}

/**
 * A running thread, as {@link RuntimePrimitives.startThread} returns it. Inside the thread the module
 * talks back through {@link threadPort}; messages are structured-cloned.
 */
export interface ThreadHandle {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called when the thread fails to load or throws uncaught. */
  onError(listener: (error: unknown) => void): void;
  terminate(): void;
}

/** How a thread module reaches its parent. Hosts that are not Web-Worker-like set `__tasklaneThreadPort`. */
export interface ThreadPort {
  post(message: unknown): void;
  listen(listener: (message: unknown) => void): void;
}

/** The parent of the current thread: the host's port if it set one, else the Web Worker globals. */
export function threadPort(): ThreadPort {
  const g = globalThis as {
    __tasklaneThreadPort?: ThreadPort;
    postMessage?: (message: unknown) => void;
    addEventListener?: (type: string, listener: (event: { data: unknown }) => void) => void;
  };
  if (g.__tasklaneThreadPort) return g.__tasklaneThreadPort;
  return {
    post: (message) => g.postMessage?.(message),
    listen: (listener) => g.addEventListener?.('message', (event) => listener(event.data)),
  };
}

/** Starts a child process in its own process group so it can be signalled as a whole. */
export type ProcessSpawner = (
  command: string,
  args: readonly string[],
  options: SpawnOptions,
) => SpawnedProcess;

export interface SpawnOptions {
  cwd?: string;
  /**
   * Variables added to (or overriding) the host's environment. A portable caller cannot list the
   * host's variables through {@link RuntimePrimitives.env}, so the spawner merges rather than replaces.
   */
  env?: Record<string, string>;
  /**
   * `true`: `env` is the child's whole environment and nothing of the host's is inherited (tasks must not
   * see the runner's secrets). A spawner that cannot clear the environment must throw rather than ignore it.
   */
  clearEnv?: boolean;
}

export interface SpawnedProcess {
  readonly pid: number;
  /** Output as it is produced; never buffered whole. */
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /** Resolves with the exit code, or with `null` and the signal name when killed by a signal. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Sends a signal to the whole process group. */
  killGroup(signal: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): void;
  /**
   * True while any live (non-zombie) process remains in the group, including ones that outlived the
   * leader. Lets callers wait out a kill grace period exactly instead of guessing from closed pipes.
   */
  groupAlive?(): boolean;
}

/** Portable defaults for hosts that supply nothing: enough for tests and embedding. */
export function portableRuntime(overrides: Partial<RuntimePrimitives> = {}): RuntimePrimitives {
  const start = Date.now();
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return {
    name: 'portable',
    version: '0',
    hostname: () => 'localhost',
    env: () => undefined,
    now: () => Date.now(),
    monotonicNow: () => (perf ? perf.now() : Date.now() - start),
    ...overrides,
  };
}
