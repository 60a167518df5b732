import type { RunnerHooks } from './hooks.ts';
import type { Logger } from './logger.ts';

type Observer = Exclude<keyof RunnerHooks, 'wrapHandle' | 'wrapPoll'>;
const OBSERVERS: Observer[] = [
  'onStateChange',
  'onPollStart',
  'onPollEnd',
  'onPermitReleased',
  'onTaskStart',
  'onTaskEnd',
  'onTaskRejected',
  'onProgress',
  'onStatusRetry',
  'onLeaseLost',
  'onPermitSkipped',
  'onEventLoopLag',
  'onSlotsChanged',
  'onHeartbeat',
];

/** Merges several hook sets into one; a throwing observer is logged, never allowed to break the runner. */
export function combineHooks(list: readonly RunnerHooks[], logger: Logger): RunnerHooks {
  const combined: Record<string, unknown> = {};
  for (const name of OBSERVERS) {
    const fns = list.flatMap((h) => (h[name] ? [h[name].bind(h) as (arg: unknown) => void] : []));
    if (fns.length === 0) continue;
    combined[name] = (arg: unknown) => {
      for (const fn of fns) {
        try {
          fn(arg);
        } catch (error) {
          logger.warn({ err: error, hook: name }, 'runner hook threw');
        }
      }
    };
  }
  const handleWrappers = list.flatMap((h) => (h.wrapHandle ? [h.wrapHandle.bind(h)] : []));
  if (handleWrappers.length > 0) {
    combined.wrapHandle = handleWrappers.reduceRight<NonNullable<RunnerHooks['wrapHandle']>>(
      (inner, wrap) => (info, next) => wrap(info, () => inner(info, next)),
      (_info, next) => next(),
    );
  }
  const pollWrappers = list.flatMap((h) => (h.wrapPoll ? [h.wrapPoll.bind(h)] : []));
  if (pollWrappers.length > 0) {
    combined.wrapPoll = pollWrappers.reduceRight<NonNullable<RunnerHooks['wrapPoll']>>(
      (inner, wrap) =>
        <T>(info: Parameters<NonNullable<RunnerHooks['wrapPoll']>>[0], next: () => Promise<T>) =>
          wrap(info, () => inner(info, next)),
      <T>(_info: unknown, next: () => Promise<T>) => next(),
    );
  }
  return combined;
}
