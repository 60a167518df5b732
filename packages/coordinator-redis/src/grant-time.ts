/**
 * A local time before which a handed-over lease was not granted, by clocks a blocked main thread cannot
 * fool: the grant came `releasedAt - acquiredAt` of Redis' time after our acquire ran in Redis, which was
 * after we sent it (`sentAt`). When that disagrees with our clock (a grant dated after now), or an older
 * releaser sent no time, only `sentAt` is sure.
 */
export function grantedAfter(sentAt: number, acquiredAt: number, releasedAt: number): number {
  const at = sentAt + Math.max(0, releasedAt - acquiredAt);
  return Number.isFinite(at) && at <= Date.now() ? at : sentAt;
}
