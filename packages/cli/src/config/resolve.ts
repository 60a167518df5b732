import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { UsageError } from '../errors.ts';
import { convert, envName, fileKey, type OptionSpec } from './options.ts';

/** Where a resolved value came from; shown by `--print-config` and used in error messages. */
export type ValueSource = 'flag' | 'env' | 'file' | 'default';

export interface Resolved {
  readonly values: Record<string, unknown>;
  readonly sources: Record<string, ValueSource>;
  readonly positionals: string[];
  readonly help: boolean;
}

/** The YAML parser, loaded the first time a YAML file is read (most runs never need it). */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml.parse(text);
}

/** Reads a JSON or YAML config file into a plain object; errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError('--config', `--config: cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      '--config',
      `--config: ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError('--config', `--config: ${path} must contain an object of options`);
  }
  return data as Record<string, unknown>;
}

/**
 * Resolves a command's options with the precedence flags > environment > config file > defaults.
 * Unknown flags and unknown config-file keys are usage errors naming them.
 */
export function resolveOptions(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: (name: string) => string | undefined,
  options: { allowPositionals?: boolean; configFlag?: boolean } = {},
): Resolved {
  const parseSpec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  if (options.configFlag !== false) parseSpec.config = { type: 'string' };
  for (const spec of specs) {
    parseSpec[spec.flag] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.kind === 'list' ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseSpec,
      allowPositionals: options.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message;
    const flag = /'(-[^']+)'/.exec(message)?.[1];
    throw new UsageError(flag, message.replace(/\. To specify a positional argument.*$/s, '').trim());
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const configPath = (flags.config as string | undefined) ?? env('TASKLANE_CONFIG');
  const file = configPath ? readConfigFile(configPath) : {};

  const known = new Set(specs.map(fileKey).filter((k): k is string => k !== undefined));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) {
      throw new UsageError(
        key,
        `--config: unknown key "${key}" in ${configPath}; known keys: ${[...known].sort().join(', ')}`,
      );
    }
  }

  const values: Record<string, unknown> = {};
  const sources: Record<string, ValueSource> = {};
  for (const spec of specs) {
    const flagValue = flags[spec.flag];
    const variable = envName(spec);
    const envValue = variable ? env(variable) : undefined;
    const key = fileKey(spec);
    const fileValue = key ? file[key] : undefined;
    if (flagValue !== undefined && !(Array.isArray(flagValue) && flagValue.length === 0)) {
      values[spec.flag] = convert(
        spec,
        Array.isArray(flagValue) ? flagValue.flatMap((v) => v.split(',')) : flagValue,
        `--${spec.flag}`,
      );
      sources[spec.flag] = 'flag';
    } else if (envValue !== undefined && envValue !== '') {
      values[spec.flag] = convert(spec, envValue, variable!);
      sources[spec.flag] = 'env';
    } else if (fileValue !== undefined) {
      values[spec.flag] = convert(spec, fileValue, `${configPath}: ${key}`);
      sources[spec.flag] = 'file';
    } else if (spec.default !== undefined) {
      values[spec.flag] = spec.default;
      sources[spec.flag] = 'default';
    }
  }
  return { values, sources, positionals: parsed.positionals, help: flags.help === true };
}
