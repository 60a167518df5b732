/**
 * The lease thread's module: it renews leases on its own event loop, so a handler that blocks the main
 * thread (a CPU-bound loop, a synchronous library call) cannot make the service time its attempt out.
 * It only renews and watches the local lease; every decision (abort, report) stays on the main thread,
 * which reads the thread's messages as soon as it is free again.
 */
import { DataPipelineClient, ReportTaskProgressCommand } from '@aws-sdk/client-data-pipeline';
import { threadPort } from './runtime.ts';
import type { LeaseRenewalSpec } from './source.ts';
import type { ThreadReply, ThreadRequest } from './thread-messages.ts';

interface Lease {
  spec: LeaseRenewalSpec;
  readonly intervalMs: number;
  readonly leaseMs: number;
  lastRenewal: number;
  /** The ack's time on this thread's clock: renewals are reported relative to it. */
  readonly ackedAt: number;
  timer: ReturnType<typeof setInterval> | undefined;
  inFlight: Promise<void> | undefined;
}

const port = threadPort();
const leases = new Map<number, Lease>();
const clients = new Map<string, DataPipelineClient>();
const send = (reply: ThreadReply) => port.post(reply);

const clientKey = (spec: LeaseRenewalSpec) =>
  JSON.stringify([spec.endpoint, spec.region, spec.credentials, spec.requestTimeoutMs]);

/** Clients no lease uses any more (credentials rotate every few hours) are closed, not kept forever. */
function dropUnusedClients(): void {
  const used = new Set([...leases.values()].map((lease) => clientKey(lease.spec)));
  for (const [key, client] of clients) {
    if (used.has(key)) continue;
    client.destroy();
    clients.delete(key);
  }
}

function clientFor(spec: LeaseRenewalSpec): DataPipelineClient {
  const key = clientKey(spec);
  let client = clients.get(key);
  if (!client) {
    client = new DataPipelineClient({
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
      requestHandler: { requestTimeout: spec.requestTimeoutMs, throwOnRequestTimeout: true } as never,
    });
    clients.set(key, client);
  }
  return client;
}

const LOST = new Set(['TaskNotFoundException', 'PipelineNotFoundException', 'PipelineDeletedException']);

async function renew(id: number, lease: Lease): Promise<void> {
  const expectedAt = lease.lastRenewal + lease.intervalMs;
  // Counted from the send, as on the main thread: the local lease must not outlive the service's.
  const sentAt = performance.now();
  try {
    const reply = await clientFor(lease.spec).send(
      new ReportTaskProgressCommand({ taskId: lease.spec.taskId }),
    );
    const now = performance.now();
    lease.lastRenewal = Math.max(lease.lastRenewal, sentAt);
    send({
      type: 'progress',
      id,
      ok: true,
      canceled: reply.canceled === true,
      lagMs: Math.max(0, now - expectedAt),
      renewedMs: lease.lastRenewal - lease.ackedAt,
    });
  } catch (error) {
    const name = (error as { name?: string })?.name ?? 'Error';
    const message = (error as { message?: string })?.message ?? '';
    send({
      type: 'progress',
      id,
      ok: false,
      lost: LOST.has(name),
      error: `${name}: ${message}`.slice(0, 500),
    });
  }
}

function tick(id: number, lease: Lease): void {
  const sinceMs = performance.now() - lease.lastRenewal;
  if (sinceMs > lease.leaseMs) {
    clearTimeout(lease.timer);
    clearInterval(lease.timer);
    send({ type: 'expired', id, sinceMs });
    return;
  }
  if (lease.inFlight) return;
  lease.inFlight = renew(id, lease).finally(() => {
    lease.inFlight = undefined;
  });
}

async function handle(request: ThreadRequest): Promise<void> {
  switch (request.type) {
    case 'start': {
      const ackedAt = performance.now() - request.sinceRenewalMs;
      const lease: Lease = {
        spec: request.spec,
        intervalMs: request.intervalMs,
        leaseMs: request.leaseMs,
        // The main thread measured how long ago the last renewal (the ack) succeeded.
        lastRenewal: ackedAt,
        ackedAt,
        timer: undefined,
        inFlight: undefined,
      };
      leases.set(request.id, lease);
      // Keep the cadence counted from the ack, however long this message waited for the thread.
      lease.timer = setTimeout(
        () => {
          if (!leases.has(request.id)) return;
          tick(request.id, lease);
          lease.timer = setInterval(() => tick(request.id, lease), lease.intervalMs);
        },
        Math.max(0, request.intervalMs - request.sinceRenewalMs),
      );
      return;
    }
    case 'update': {
      const lease = leases.get(request.id);
      // The old client may still carry a renewal; it is dropped at the next stop.
      if (lease) lease.spec = request.spec;
      return;
    }
    case 'stop': {
      const lease = leases.get(request.id);
      leases.delete(request.id);
      if (lease) {
        clearTimeout(lease.timer);
        clearInterval(lease.timer);
        await lease.inFlight;
      }
      send({ type: 'stopped', id: request.id });
      dropUnusedClients();
      return;
    }
  }
}

port.listen((message) => void handle(message as ThreadRequest));
send({ type: 'ready' });
