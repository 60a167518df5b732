/** Identifier formats of the service. */
import { randomBytes } from 'node:crypto';
import { formatDateTime } from './periods.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `df-` plus 20 uppercase alphanumerics, like `df-06372391ZG65EXAMPLE`. */
export function newPipelineId(): string {
  const bytes = randomBytes(20);
  let id = 'df-';
  for (const b of bytes) id += ALNUM[b % ALNUM.length];
  return id;
}

/**
 * Real task ids are opaque ~800-character tokens. A long random token here catches clients that
 * truncate, parse or log-and-compare them, at a modest cost per hand-out.
 */
export function newTaskId(): string {
  return randomBytes(192).toString('base64url');
}

export function instanceId(componentId: string, scheduledStart: number): string {
  return `@${componentId}_${formatDateTime(scheduledStart)}`;
}

export function attemptId(instanceIdValue: string, n: number): string {
  return `${instanceIdValue}_Attempt=${n}`;
}
