import {
  ReportTaskProgressCommand,
  SetTaskStatusCommand,
  type DataPipelineClient,
  type TaskObject as SdkTaskObject,
} from '@aws-sdk/client-data-pipeline';
import type { TaskOutcome } from './outcome.ts';
import { sanitizeText } from './sanitize.ts';
import { LeaseLostError, type LeaseRenewalSpec, type LeaseReply, type SourceTask } from './source.ts';
import { Task, type RawTask } from './task.ts';

function isTaskNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return (
    name === 'TaskNotFoundException' ||
    name === 'PipelineNotFoundException' ||
    name === 'PipelineDeletedException'
  );
}

/** One task received from Data Pipeline: ack, progress and status on the source's client. */
export class DataPipelineTask implements SourceTask {
  readonly id: string;
  readonly #raw: RawTask;
  #task: Task | undefined;

  constructor(
    private readonly client: DataPipelineClient,
    taskObject: SdkTaskObject,
    private readonly spec: (taskId: string) => Promise<LeaseRenewalSpec>,
  ) {
    this.#raw = {
      taskId: taskObject.taskId ?? '',
      pipelineId: taskObject.pipelineId ?? '',
      attemptId: taskObject.attemptId ?? '',
      objects: (taskObject.objects ?? {}) as RawTask['objects'],
    };
    this.id = this.#raw.attemptId || this.#raw.taskId.slice(0, 32);
  }

  toTask(): Task {
    this.#task ??= new Task(this.#raw);
    return this.#task;
  }

  get leaseTimeoutMs(): number | undefined {
    try {
      return this.toTask().getDuration('reportProgressTimeout');
    } catch {
      return undefined;
    }
  }

  async #report(fields?: Record<string, string>): Promise<LeaseReply> {
    try {
      const response = await this.client.send(
        new ReportTaskProgressCommand({
          taskId: this.#raw.taskId,
          ...(fields
            ? {
                // Field keys are 1–256 characters, values 0–10240 (the model's fieldStringValue).
                fields: Object.entries(fields).map(([key, stringValue]) => ({
                  key: sanitizeText(key, 256) || 'field',
                  stringValue: sanitizeText(stringValue, 10_240),
                })),
              }
            : {}),
        }),
      );
      return { canceled: response.canceled === true };
    } catch (error) {
      if (isTaskNotFound(error))
        throw new LeaseLostError(`task ${this.id} is no longer ours: ${String(error)}`, { cause: error });
      throw error;
    }
  }

  renewalSpec(): Promise<LeaseRenewalSpec> {
    return this.spec(this.#raw.taskId);
  }

  ack(): Promise<LeaseReply> {
    return this.#report();
  }

  progress(fields?: Record<string, string>): Promise<LeaseReply> {
    return this.#report(fields);
  }

  async complete(outcome: TaskOutcome): Promise<void> {
    try {
      await this.client.send(
        new SetTaskStatusCommand({
          taskId: this.#raw.taskId,
          taskStatus: outcome.status,
          ...(outcome.status === 'FAILED'
            ? {
                errorId: outcome.errorId,
                errorMessage: outcome.errorMessage,
                ...(outcome.errorStackTrace ? { errorStackTrace: outcome.errorStackTrace } : {}),
              }
            : {}),
        }),
      );
    } catch (error) {
      if (isTaskNotFound(error))
        throw new LeaseLostError(`task ${this.id} is no longer ours: ${String(error)}`, { cause: error });
      throw error;
    }
  }
}
