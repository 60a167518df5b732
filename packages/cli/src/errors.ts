import { TasklaneError } from '@tasklane/core';

/** Exit codes of every tasklane command. */
export const ExitCode = { Ok: 0, Fatal: 1, Usage: 2 } as const;

/**
 * A usage or configuration problem: printed on stderr and exits 2. `option` names the flag (or config
 * key / environment variable) at fault so the operator knows what to fix.
 */
export class UsageError extends TasklaneError {
  override name = 'UsageError';
  constructor(
    readonly option: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super('TL_USAGE', message, options);
  }
}
