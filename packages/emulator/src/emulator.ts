/** startEmulator: wires state, scheduler, router, control API, persistence and the HTTP server. */
import type { AddressInfo } from 'node:net';
import { systemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { createControl } from './control.ts';
import { EmulatorError } from './errors.ts';
import { FaultInjector } from './faults.ts';
import { createHttpServer } from './http-server.ts';
import { ObservationLog } from './observations.ts';
import { newPipeline } from './pipelines.ts';
import { createHandlers, Router } from './router.ts';
import { expireTask } from './handout.ts';
import { Leases } from './leases.ts';
import { TaskRetention } from './retention.ts';
import { createS3Control } from './s3/control.ts';
import { S3Store } from './s3/store.ts';
import { SfnService } from './sfn/service.ts';
import { activatePipelineRun, stopAllTimers } from './schedules.ts';
import type { ServiceConfig, ServiceState } from './service.ts';
import { StateFile, toSaved } from './state-file.ts';
import type { SavedState } from './state-file.ts';
import { TaskQueues } from './task-queue.ts';
import type { Emulator, EmulatorOptions } from './types.ts';

const MINUTE = 60_000;

/** Test seams that are not part of the public options. */
export interface EmulatorInternals {
  clock?: Clock;
  random?: () => number;
}

export function serviceConfig(options: EmulatorOptions): ServiceConfig {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new EmulatorError('EMU_INVALID_SPEC', 'timeScale must be a positive number');
  const longPollMs = options.longPollMs ?? 90_000;
  if (!(longPollMs >= 0)) throw new EmulatorError('EMU_INVALID_SPEC', 'longPollMs must be >= 0');
  return {
    longPollMs,
    timeScale,
    ackTimeoutMs: options.ackTimeoutMs ?? (2 * MINUTE) / timeScale,
    defaultReportProgressTimeoutMs: options.defaultReportProgressTimeoutMs ?? (15 * MINUTE) / timeScale,
    defaultRetryDelayMs: (10 * MINUTE) / timeScale,
    defaultMaximumRetries: 2,
    observationRetentionMs: options.observationRetentionMs ?? 3_600_000,
    maxEndedTasks: options.maxEndedTasks ?? 50_000,
  };
}

export async function startEmulator(
  options: EmulatorOptions = {},
  internals: EmulatorInternals = {},
): Promise<Emulator> {
  const config = serviceConfig(options);
  const clock = internals.clock ?? systemClock;
  const log = options.log ?? (() => {});
  const obs = new ObservationLog(clock, log, config.observationRetentionMs);
  const s3Buckets = options.s3Buckets ?? [];
  const s3 =
    options.s3 === false
      ? undefined
      : new S3Store(
          {
            ...(options.s3MaxPutBytes === undefined ? {} : { maxPutBytes: options.s3MaxPutBytes }),
            ...(options.s3MinPartBytes === undefined ? {} : { minPartBytes: options.s3MinPartBytes }),
          },
          () => clock.now(),
        );
  s3?.reset(s3Buckets);
  const state: ServiceState = {
    config,
    clock,
    obs,
    faults: new FaultInjector(internals.random),
    queues: new TaskQueues(obs, clock, config.observationRetentionMs),
    retention: new TaskRetention(),
    s3,
    s3Buckets,
    leases: new Leases(clock, (task, reason) => expireTask(state, task, reason)),
    pipelines: new Map(),
    byNameAndUniqueId: new Map(),
    hiddenByGroup: new Map(),
    tasks: new Map(),
    terminate: { allSeq: 0, seen: new Map(), runners: new Set() },
    log,
    closing: false,
    persist: () => {},
  };
  const control = createControl(state);

  const stateFile = options.stateFile === undefined ? undefined : new StateFile(options.stateFile, log);
  if (stateFile) {
    const saved = stateFile.load();
    if (saved) restore(state, saved);
    state.persist = () => stateFile.schedule(() => toSaved(state.pipelines.values()));
  }

  // GetActivityTask waits 60 s at most, as the service does; a shorter longPollMs (tests) applies too.
  const sfn = new SfnService({
    clock,
    timeScale: config.timeScale,
    longPollMs: Math.min(60_000, config.longPollMs),
    log,
  });
  const server = createHttpServer({
    router: new Router(state, createHandlers(state)),
    control,
    log,
    sfn,
    ...(s3
      ? {
          s3: {
            store: s3,
            hooks: { request: (op) => obs.request(`S3.${op}`), changed: () => obs.changed() },
          },
        }
      : {}),
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`emulator listening on ${endpoint}`);

  let closed: Promise<void> | undefined;
  return {
    endpoint,
    port,
    control,
    s3: s3 && createS3Control(s3, endpoint, () => obs.changed()),
    close() {
      closed ??= (async () => {
        state.closing = true;
        stopAllTimers(state);
        state.queues.releaseAll();
        sfn.close();
        obs.rejectAll(new EmulatorError('EMU_CLOSED', 'the emulator was closed'));
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Released polls need a moment to be written; then whatever is still open is cut.
        const cut = setTimeout(() => server.closeAllConnections(), 250);
        await done;
        clearTimeout(cut);
        await stateFile?.flush();
      })();
      return closed;
    },
  };
}

function restore(state: ServiceState, saved: SavedState): void {
  for (const sp of saved.pipelines) {
    const p = newPipeline(state, {
      id: sp.id,
      name: sp.name,
      uniqueId: sp.uniqueId,
      userId: sp.userId,
      createdAt: sp.createdAt,
      ...(sp.description === undefined ? {} : { description: sp.description }),
    });
    p.tags = new Map(sp.tags);
    p.state = sp.state;
    p.deleted = sp.deleted;
    if (sp.latest) p.latest = sp.latest;
    if (sp.active) p.active = sp.active;
    if (sp.lastActivatedAt !== undefined) p.lastActivatedAt = sp.lastActivatedAt;
    if (p.deleted) state.byNameAndUniqueId.delete(`${p.name}\u0000${p.uniqueId}`);
    // Runs are not persisted: a pipeline that was running starts a fresh run of its active definition.
    if (!p.deleted && p.state === 'SCHEDULED' && p.active) {
      const latest = p.latest;
      p.latest = p.active;
      try {
        activatePipelineRun(state, p, undefined, p.active.parameterValues);
      } catch (err) {
        state.log(`could not re-activate ${p.id} from the state file: ${(err as Error).message}`);
      } finally {
        p.latest = latest;
      }
    }
  }
}
