/**
 * The highest epoch this instance has seen per group. Redis answering with a lower one means it lost the
 * group's state (restart without persistence, failover to a lagging replica, flush): the acquire script
 * then restores the epoch and fences the group for `fenceMs`.
 */
export class EpochMemory {
  readonly #last = new Map<string, number>();

  see(group: string, epoch: number): void {
    if (epoch > (this.#last.get(group) ?? 0)) this.#last.set(group, epoch);
  }

  floor(group: string): number {
    return this.#last.get(group) ?? 0;
  }

  /**
   * How long to fence a group whose state Redis lost: until a lease granted just before this instance
   * lost its connection would have expired. Without a known disconnect, a whole lease.
   */
  static fenceMs(disconnectedAt: number | undefined, leaseMs: number): number {
    if (disconnectedAt === undefined) return leaseMs;
    return Math.max(0, disconnectedAt + leaseMs - Date.now());
  }
}
