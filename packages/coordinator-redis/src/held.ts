/** What the lease manager keeps per held lease, and what it hands out. */
import type { PollPermit } from '@tasklane/core';
import type { GroupKeys } from './keys.ts';
import type { WakeChannel } from './wake-channel.ts';

/** A permit of the Redis coordinator; `expiresAt` says how long the lease under it lasts at least. */
export interface RedisPollPermit extends PollPermit {
  /** Wall-clock ms (Date.now()) before which the lease cannot have expired, as far as this instance knows. */
  readonly expiresAt: number;
}

export interface LeaseEvents {
  /** The lease of a group was lost while a poll was in flight on it. */
  onLeaseLost(info: { group: string; epoch: number; reason: 'taken' | 'unreachable' }): void;
  /** The group's lease became idle-kept or left this instance: a local waiter may go on. */
  onChange(group: string): void;
}

/** A lease this instance holds in Redis, in use by a poll or kept idle for the next one. */
export interface Held {
  readonly group: string;
  readonly keys: GroupKeys;
  /** Owner token in Redis: the id of the waiter that won it. */
  readonly owner: string;
  readonly epoch: number;
  readonly channel: WakeChannel;
  /** When this instance got the lease from Redis (its turn began). */
  readonly grantedAt: number;
  /** Before this the lease cannot expire: a sure lower bound of its grant or last renewal, plus the lease. */
  expiresAt: number;
  /** Another instance waits: give the lease back at the end of the poll. */
  contended: boolean;
  /** Give it back at the end of the poll whatever the turn: Redis may have lost it, or it may have expired. */
  retired: boolean;
  inUse: boolean;
  watching: boolean;
  renewing: boolean;
  /** The renewal thread renews this lease (see ThreadRenewer). */
  threaded: boolean;
  gone: boolean;
  permit: { lost: boolean } | undefined;
  renewTimer: ReturnType<typeof setInterval>;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}
