import type { LeaseRenewalSpec } from './source.ts';

/** Where a renewal goes and with which credentials: a {@link LeaseRenewalSpec} without its task. */
export type LeaseChannelSpec = Omit<LeaseRenewalSpec, 'taskId'>;

/** Main thread → lease thread. Leases themselves travel through the shared {@link LeaseBoard}. */
export type ThreadRequest =
  | { readonly type: 'init'; readonly board: SharedArrayBuffer }
  /** A channel is sent before the first lease that uses it is written to the board; sent again with fresh credentials. */
  | { readonly type: 'channel'; readonly id: number; readonly spec: LeaseChannelSpec }
  /** A lease whose interval is shorter than the scan horizon was written: scan now, and often enough for it. */
  | { readonly type: 'wake' };

/** Lease thread → main thread. Messages of one slot arrive in order, so `stopped` comes after its last `progress`. */
export type ThreadReply =
  | { readonly type: 'ready' }
  /** The thread cannot renew (its SDK did not load): every lease goes back to the main thread. */
  | { readonly type: 'failed'; readonly error: string }
  | {
      readonly type: 'progress';
      readonly slot: number;
      readonly generation: number;
      readonly ok: true;
      readonly canceled: boolean;
      readonly lagMs: number;
      /** When the renewal was sent, on the shared clock (`sharedNow`). */
      readonly renewedAt: number;
    }
  | {
      readonly type: 'progress';
      readonly slot: number;
      readonly generation: number;
      readonly ok: false;
      readonly lost: boolean;
      readonly error: string;
    }
  | { readonly type: 'expired'; readonly slot: number; readonly generation: number; readonly sinceMs: number }
  | { readonly type: 'stopped'; readonly slot: number; readonly generation: number };
