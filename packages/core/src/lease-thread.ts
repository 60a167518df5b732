/**
 * The lease thread's module: it renews leases on its own event loop, so a handler that blocks the main
 * thread (a CPU-bound loop, a synchronous library call) cannot make the service time its attempt out.
 * Leases arrive through the shared {@link LeaseBoard}; the thread scans it on its own clock and renews
 * what is due. It only renews and watches the local lease; every decision (abort, report) stays on the
 * main thread, which reads the outcome from the board or from this thread's messages.
 */
import type * as SdkModule from '@aws-sdk/client-data-pipeline';
import type { DataPipelineClient } from '@aws-sdk/client-data-pipeline';
import { LeaseBoard, SCAN_HORIZON_MS, SlotFlag, SlotState, sharedNow } from './lease-board.ts';
import { threadPort } from './runtime.ts';
import type { LeaseChannelSpec, ThreadReply, ThreadRequest } from './thread-messages.ts';

type Sdk = typeof SdkModule;

const port = threadPort();
const send = (reply: ThreadReply) => port.post(reply);
// Loaded with the first channel (sent just before the first lease is written), not at start: an idle
// runner does not hold a second copy of the SDK (about 7 MB), nor load it beside its first poll. Until it
// has loaded, the thread leaves the board alone and the main thread renews the leases it wrote; the board
// says when the thread takes over (`sdkLoaded`).
let sdk: Promise<void> | undefined;
let loaded: Sdk | undefined;
const channels = new Map<number, { spec: LeaseChannelSpec; client?: DataPipelineClient }>();
/** When each slot's next renewal may be tried, after a failed one: the next tick, as on the main thread. */
const retryAt = new Map<number, { generation: number; at: number }>();
let board: LeaseBoard | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let timerAt = Infinity;

function loadSdk(): void {
  sdk ??= import('@aws-sdk/client-data-pipeline').then(
    (module) => {
      loaded = module;
      board?.markSdkLoaded();
      schedule(0);
    },
    (error: unknown) => send({ type: 'failed', error: String((error as Error)?.stack ?? error) }),
  );
}

async function clientFor(id: number): Promise<DataPipelineClient | undefined> {
  const channel = channels.get(id);
  if (!channel) return undefined;
  if (channel.client) return channel.client;
  const { DataPipelineClient } = loaded!;
  const { spec } = channel;
  channel.client = new DataPipelineClient({
    region: spec.region,
    ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
    ...(spec.credentials
      ? {
          credentials: {
            accessKeyId: spec.credentials.accessKeyId,
            secretAccessKey: spec.credentials.secretAccessKey,
            ...(spec.credentials.sessionToken ? { sessionToken: spec.credentials.sessionToken } : {}),
          },
        }
      : {}),
    // As on the main thread: one attempt per renewal, the next tick is the retry.
    maxAttempts: 1,
    cacheMiddleware: true,
    requestHandler: { requestTimeout: spec.requestTimeoutMs, throwOnRequestTimeout: true } as never,
  });
  return channel.client;
}

const LOST = new Set(['TaskNotFoundException', 'PipelineNotFoundException', 'PipelineDeletedException']);

async function renew(b: LeaseBoard, slot: number, generation: number, dueAt: number): Promise<void> {
  // Counted from the send, as on the main thread: the local lease must not outlive the service's.
  const sentAt = sharedNow();
  retryAt.set(slot, { generation, at: sentAt + b.intervalMs(slot) });
  let reply: ThreadReply;
  try {
    const client = await clientFor(b.channel(slot));
    const { ReportTaskProgressCommand } = loaded!;
    if (!client) throw new Error('no channel for this lease');
    const answer = await client.send(new ReportTaskProgressCommand({ taskId: b.taskId(slot) }));
    const renewedAt = Math.max(b.renewedAt(slot), sentAt);
    b.writeRenewedAt(slot, renewedAt);
    const canceled = answer.canceled === true;
    if (canceled) b.addFlags(slot, SlotFlag.Canceled);
    const lagMs = Math.max(0, sharedNow() - dueAt);
    reply = { type: 'progress', slot, generation, ok: true, canceled, lagMs, renewedAt };
  } catch (error) {
    const name = (error as { name?: string })?.name ?? 'Error';
    const message = (error as { message?: string })?.message ?? '';
    const lost = LOST.has(name);
    if (lost) b.addFlags(slot, SlotFlag.Lost);
    reply = {
      type: 'progress',
      slot,
      generation,
      ok: false,
      lost,
      error: `${name}: ${message}`.slice(0, 500),
    };
  }
  // The board holds the outcome before the slot is handed back, so a main thread that frees the slot
  // next reads it even if this message is still queued.
  send(reply);
  if (!b.transition(slot, generation, SlotState.Renewing, SlotState.Active)) {
    // The main thread stopped the lease during the renewal and waits for this answer.
    b.transition(slot, generation, SlotState.Stopping, SlotState.Free);
    retryAt.delete(slot);
    send({ type: 'stopped', slot, generation });
  }
  schedule(0);
}

/** Renews what is due, notes what has expired, and sleeps until the next due renewal or the horizon. */
function scan(): void {
  timer = undefined;
  timerAt = Infinity;
  const b = board;
  // Scanned again once the SDK has loaded; the main thread keeps the leases until then.
  if (!b || !loaded) return;
  const now = sharedNow();
  let next = now + SCAN_HORIZON_MS;
  for (let slot = 0; slot < b.capacity; slot++) {
    const word = b.stateWord(slot);
    if ((word & 3) !== SlotState.Active) continue;
    const generation = word >>> 2;
    if ((b.flags(slot) & (SlotFlag.Canceled | SlotFlag.Lost | SlotFlag.Expired)) !== 0) continue;
    const renewedAt = b.renewedAt(slot);
    const sinceMs = now - renewedAt;
    if (sinceMs > b.leaseMs(slot)) {
      b.addFlags(slot, SlotFlag.Expired);
      send({ type: 'expired', slot, generation, sinceMs });
      continue;
    }
    const retry = retryAt.get(slot);
    const dueAt = Math.max(renewedAt + b.intervalMs(slot), retry?.generation === generation ? retry.at : 0);
    if (!channels.has(b.channel(slot))) {
      // Its channel message is still on the way (it was posted before the lease was written).
      next = Math.min(next, now + 5);
      continue;
    }
    if (dueAt > now) {
      next = Math.min(next, dueAt, renewedAt + b.leaseMs(slot) + 1);
      continue;
    }
    if (b.transition(slot, generation, SlotState.Active, SlotState.Renewing))
      void renew(b, slot, generation, dueAt);
  }
  schedule(Math.max(0, next - sharedNow()));
}

function schedule(delayMs: number): void {
  const at = sharedNow() + delayMs;
  if (timer !== undefined && timerAt <= at) return;
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(scan, delayMs);
}

function handle(request: ThreadRequest): void {
  switch (request.type) {
    case 'init':
      board = new LeaseBoard(request.board);
      if (loaded) board.markSdkLoaded();
      schedule(0);
      send({ type: 'ready' });
      return;
    case 'channel': {
      const old = channels.get(request.id)?.client;
      // Fresh credentials for the same service: later renewals use a client built with them, and the
      // old one is closed once a renewal it may still carry has timed out.
      if (old) setTimeout(() => old.destroy(), request.spec.requestTimeoutMs + 1000);
      channels.set(request.id, { spec: request.spec });
      loadSdk();
      schedule(0);
      return;
    }
    case 'wake':
      schedule(0);
      return;
  }
}

port.listen((message) => handle(message as ThreadRequest));
