/**
 * Key layout. Every key of one group shares the hash tag `{group}`, so each Lua script touches a single
 * slot and the design runs unchanged on Redis Cluster. Registry keys share the tag `{registry}`.
 */
export interface GroupKeys {
  readonly lease: string;
  readonly epoch: string;
  readonly queue: string;
  readonly waiters: string;
  readonly fence: string;
  /** Prefix of the per-waiter wake lists: `${wakePrefix}${waiterId}`. */
  readonly wakePrefix: string;
}

export function groupKeys(prefix: string, group: string): GroupKeys {
  // A '}' in a group name would end the hash tag early and split the group's keys over slots.
  const tag = `${prefix}{${group.replaceAll('}', '%7D')}}`;
  return {
    lease: `${tag}:lease`,
    epoch: `${tag}:epoch`,
    queue: `${tag}:queue`,
    waiters: `${tag}:waiters`,
    fence: `${tag}:fence`,
    wakePrefix: `${tag}:wake:`,
  };
}

export interface RegistryKeys {
  readonly index: string;
  readonly instancePrefix: string;
}

export function registryKeys(prefix: string): RegistryKeys {
  return { index: `${prefix}{registry}:instances`, instancePrefix: `${prefix}{registry}:instance:` };
}
