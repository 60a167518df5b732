import type { LeaseRenewalSpec } from './source.ts';

/** Main thread → lease thread. */
export type ThreadRequest =
  | {
      readonly type: 'start';
      readonly id: number;
      readonly spec: LeaseRenewalSpec;
      readonly intervalMs: number;
      readonly leaseMs: number;
      /** How long ago the last renewal succeeded, measured on the main thread. */
      readonly sinceRenewalMs: number;
    }
  | { readonly type: 'update'; readonly id: number; readonly spec: LeaseRenewalSpec }
  | { readonly type: 'stop'; readonly id: number };

/** Lease thread → main thread. Messages of one lease arrive in order, so `stopped` comes after its last `progress`. */
export type ThreadReply =
  | { readonly type: 'ready' }
  | {
      readonly type: 'progress';
      readonly id: number;
      readonly ok: true;
      readonly canceled: boolean;
      readonly lagMs: number;
      /**
       * When the renewal was sent, in ms after the ack on the thread's clock: the main thread maps it onto
       * its own clock from the ack's time, as the two clocks share no origin.
       */
      readonly renewedMs: number;
    }
  | {
      readonly type: 'progress';
      readonly id: number;
      readonly ok: false;
      readonly lost: boolean;
      readonly error: string;
    }
  | { readonly type: 'expired'; readonly id: number; readonly sinceMs: number }
  | { readonly type: 'stopped'; readonly id: number };
