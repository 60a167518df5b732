import { TasklaneError } from '@tasklane/core';

/** Stable codes of the errors this package throws. Never rename one: they appear in logs and CLI output. */
export const RedisErrorCode = {
  /** A Redis URL could not be parsed or uses an unsupported scheme. */
  InvalidUrl: 'TL_REDIS_URL',
  /** An option given to the coordinator is out of range. */
  InvalidOption: 'TL_REDIS_OPTION',
  /** The coordinator was closed while an acquire was waiting. */
  Closed: 'TL_REDIS_CLOSED',
  /** A Lua script file was missing or unreadable (a broken install). */
  ScriptMissing: 'TL_REDIS_SCRIPT',
  /** The Redis server is older than the coordinator needs (6.0). */
  Version: 'TL_REDIS_VERSION',
} as const;
export type RedisErrorCode = (typeof RedisErrorCode)[keyof typeof RedisErrorCode];

/** A Redis URL that cannot be used; the message shows the accepted forms. */
export class RedisUrlError extends TasklaneError {
  override name = 'RedisUrlError';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(
      RedisErrorCode.InvalidUrl,
      `invalid Redis URL ${JSON.stringify(redactUrl(url))}: ${reason}. Accepted: redis://[user:password@]host[:port][/db], ` +
        `rediss://… (TLS), redis+sentinel://[user:password@]host:port[,host:port…]/masterName[/db] (rediss+sentinel:// for TLS), ` +
        `redis+cluster://[user:password@]host:port[,host:port…] (rediss+cluster:// for TLS)`,
    );
  }
}

/** A coordinator option is invalid; the message names it and the value received. */
export class RedisOptionError extends TasklaneError {
  override name = 'RedisOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(RedisErrorCode.InvalidOption, message);
  }
}

/** The coordinator was closed; pending acquires reject with this. */
export class CoordinatorClosedError extends TasklaneError {
  override name = 'CoordinatorClosedError';
  constructor() {
    super(RedisErrorCode.Closed, 'the Redis coordinator was closed');
  }
}

/** Hides the password of a URL so it can appear in errors and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)([^@/]*?):([^@/]*)@/i, '$1$2:***@');
}
