import { formatDuration, parseDuration } from '@tasklane/core';
import { UsageError } from '../errors.ts';

/** How an option's raw text becomes a value. */
export type OptionKind = 'string' | 'list' | 'int' | 'port' | 'duration' | 'url' | 'enum' | 'boolean';

/** One option of a command: its flag, environment variable, config-file key, type and default. */
export interface OptionSpec {
  /** Long flag without dashes, e.g. `worker-group`. */
  readonly flag: string;
  readonly kind: OptionKind;
  readonly description: string;
  /** Environment variable; defaults to TASKLANE_ + upper snake case of the flag. `false` for none. */
  readonly env?: string | false;
  /** Config-file key; defaults to camelCase of the flag. `false` for none. */
  readonly key?: string | false;
  readonly default?: unknown;
  readonly choices?: readonly string[];
  /** URL schemes accepted by a `url` option. */
  readonly schemes?: readonly string[];
  readonly min?: number;
  readonly placeholder?: string;
  readonly short?: string;
}

export function envName(spec: OptionSpec): string | undefined {
  if (spec.env === false) return undefined;
  return spec.env ?? `TASKLANE_${spec.flag.toUpperCase().replace(/-/g, '_')}`;
}

export function fileKey(spec: OptionSpec): string | undefined {
  if (spec.key === false) return undefined;
  return spec.key ?? spec.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Converts one raw value (flag text, env text or config-file value) to the option's type. */
export function convert(spec: OptionSpec, raw: unknown, where: string): unknown {
  const fail = (expected: string): never => {
    throw new UsageError(`--${spec.flag}`, `${where}: expected ${expected}, got ${JSON.stringify(raw)}`);
  };
  switch (spec.kind) {
    case 'string': {
      if (typeof raw !== 'string' || raw === '') fail('a non-empty string');
      return raw;
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : fail('a list');
      const list = items
        .map((item) => (typeof item === 'string' ? item.trim() : fail('a list of strings')))
        .filter((s) => s !== '');
      if (list.length === 0) fail('at least one value');
      return list;
    }
    case 'int':
    case 'port': {
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)
            ? Number(raw)
            : NaN;
      const min = spec.min ?? (spec.kind === 'port' ? 0 : 1);
      if (!Number.isInteger(n) || n < min || (spec.kind === 'port' && n > 65535)) {
        fail(spec.kind === 'port' ? 'a port number 0-65535' : `an integer >= ${min}`);
      }
      return n;
    }
    case 'duration': {
      try {
        if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error();
        return parseDuration(raw, spec.flag);
      } catch {
        return fail('a duration such as 500ms, 2s, 1m or 1h');
      }
    }
    case 'url': {
      if (typeof raw !== 'string') return fail('a URL');
      const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
      // Multi-host forms (redis+sentinel://h1:p1,h2:p2/…, redis+cluster://…) are no WHATWG URLs; the
      // package that takes them checks the rest and its errors name the option too.
      let parses = scheme?.includes('+') ?? false;
      try {
        parses ||= Boolean(new URL(raw));
      } catch {
        // not a URL
      }
      if (!scheme || !parses) return fail(`a URL such as ${spec.schemes?.[0] ?? 'http'}://host:port`);
      if (spec.schemes && !spec.schemes.includes(scheme))
        fail(`a URL with scheme ${spec.schemes.join(', ')}`);
      return raw;
    }
    case 'enum': {
      if (typeof raw !== 'string' || !spec.choices?.includes(raw)) fail(`one of ${spec.choices?.join(', ')}`);
      return raw;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail('true or false');
    }
  }
}

function formatDefault(spec: OptionSpec): string {
  const value = spec.default;
  if (Array.isArray(value)) return value.join(',');
  if (spec.kind === 'duration' && typeof value === 'number') return formatDuration(value);
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}

/** Help lines for a list of options. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((spec) => {
    const value = spec.kind === 'boolean' ? '' : ` ${spec.placeholder ?? spec.kind.toUpperCase()}`;
    const left = `  --${spec.flag}${value}`;
    const extras = [
      spec.default !== undefined ? `default ${formatDefault(spec)}` : undefined,
      envName(spec) ? `env ${envName(spec)}` : undefined,
    ].filter(Boolean);
    return [left, `${spec.description}${extras.length ? ` (${extras.join('; ')})` : ''}`] as const;
  });
  const width = Math.min(36, Math.max(...rows.map(([l]) => l.length)) + 2);
  return rows
    .map(([l, r]) => (l.length >= width ? `${l}\n${' '.repeat(width)}${r}` : `${l.padEnd(width)}${r}`))
    .join('\n');
}
