import type { Task } from '@tasklane/core';
import { TaskFailure } from '@tasklane/core';

/** Stable errorIds of this plugin. */
export const LocalCopyErrorId = {
  Invalid: 'LocalCopyInvalid',
  InputMissing: 'LocalCopyInputMissing',
  Aborted: 'LocalCopyAborted',
  IoFailed: 'LocalCopyIoFailed',
} as const;

/**
 * The path behind `input` / `output`: a plain string field, or a ref to a data node whose
 * `directoryPath` or `filePath` names it (the Data Pipeline way).
 */
export function pathOf(task: Task, field: 'input' | 'output'): string {
  const direct = task.get(field);
  if (direct !== undefined && direct.trim() !== '') return direct.trim();
  const node = task.getRef(field);
  const fromNode = node?.ownValues('directoryPath')?.[0] ?? node?.ownValues('filePath')?.[0];
  if (fromNode) return fromNode;
  const hint = node
    ? `data node "${node.id}" has neither directoryPath nor filePath`
    : `set "${field}" to a path or to a ref of a data node with directoryPath/filePath`;
  throw new TaskFailure(LocalCopyErrorId.Invalid, `LocalCopyActivity: no ${field} path: ${hint}`, {
    retryable: false,
  });
}
