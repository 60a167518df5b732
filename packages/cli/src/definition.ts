import type { PipelineObject } from '@aws-sdk/client-data-pipeline';
import { DefinitionError, definitionToWireObjects } from '@tasklane/core';
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';

/**
 * Converts the aws-cli definition format (`{"objects":[{"id":…, "key": value | {"ref": id} | [..]}]}`)
 * to API PipelineObjects (see core's `definitionToWireObjects`); problems become usage errors.
 */
export function definitionToObjects(definition: unknown, where = 'definition'): PipelineObject[] {
  try {
    return definitionToWireObjects(definition);
  } catch (error) {
    if (DefinitionError.is(error)) throw new UsageError('--definition', `${where}: ${error.message}`);
    throw error;
  }
}

/** Reads a definition file (JSON) and converts it. */
export function readDefinitionFile(path: string): PipelineObject[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError('--definition', `--definition: cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      '--definition',
      `--definition: ${path} is not valid JSON: ${(error as Error).message}`,
    );
  }
  return definitionToObjects(data, path);
}
