/** Input shapes of the 19 operations, with the limits of protocol doc §2. */
import { bool, int, list, oneOf, opt, req, str, struct, timestamp } from './validation.ts';
import type { StructShape } from './validation.ts';

const id = str(1, 1024);
const string = str(0, 1024);
const taskId = str(1, 2048);
const fieldName = str(1, 256);

// Empty ids, names and values are definition *validation errors* (errored:true), not request errors,
// so the definition shapes only bound their length.
const field = struct({ key: req(fieldName), stringValue: opt(str(0, 10240)), refValue: opt(str(0, 256)) });
const pipelineObject = struct({ id: opt(str(0, 1024)), name: opt(str(0, 1024)), fields: req(list(field)) });
const parameterObject = struct({
  id: req(fieldName),
  attributes: req(list(struct({ key: req(str(1, 256)), stringValue: req(str(0, 10240)) }))),
});
const parameterValue = struct({ id: req(fieldName), stringValue: req(str(0, 10240)) });
const tag = struct({ key: req(str(1, 128)), value: req(str(0, 256)) });
const tagList = list(tag, 10);
const selector = struct({
  fieldName: opt(string),
  operator: opt(
    struct({ type: opt(oneOf(['EQ', 'REF_EQ', 'LE', 'GE', 'BETWEEN'])), values: opt(list(string)) }),
  ),
});

const definitionInput = struct({
  pipelineId: req(id),
  pipelineObjects: req(list(pipelineObject)),
  parameterObjects: opt(list(parameterObject)),
  parameterValues: opt(list(parameterValue)),
});

export const INPUT_SHAPES: Record<string, StructShape> = {
  ActivatePipeline: struct({
    pipelineId: req(id),
    parameterValues: opt(list(parameterValue)),
    startTimestamp: opt(timestamp),
  }),
  AddTags: struct({ pipelineId: req(id), tags: req(tagList) }),
  CreatePipeline: struct({ name: req(id), uniqueId: req(id), description: opt(string), tags: opt(tagList) }),
  DeactivatePipeline: struct({ pipelineId: req(id), cancelActive: opt(bool) }),
  DeletePipeline: struct({ pipelineId: req(id) }),
  DescribeObjects: struct({
    pipelineId: req(id),
    objectIds: req(list(id, 100)),
    evaluateExpressions: opt(bool),
    marker: opt(string),
  }),
  DescribePipelines: struct({ pipelineIds: req(list(id, 25)) }),
  EvaluateExpression: struct({ pipelineId: req(id), objectId: req(id), expression: req(str(0, 20_971_520)) }),
  GetPipelineDefinition: struct({ pipelineId: req(id), version: opt(string) }),
  ListPipelines: struct({ marker: opt(string) }),
  PollForTask: struct({
    workerGroup: req(string),
    hostname: opt(id),
    instanceIdentity: opt(struct({ document: opt(string), signature: opt(string) })),
  }),
  PutPipelineDefinition: definitionInput,
  QueryObjects: struct({
    pipelineId: req(id),
    query: opt(struct({ selectors: opt(list(selector, 10)) })),
    sphere: req(string),
    marker: opt(string),
    limit: opt(int),
  }),
  RemoveTags: struct({ pipelineId: req(id), tagKeys: req(list(string)) }),
  ReportTaskProgress: struct({ taskId: req(taskId), fields: opt(list(field)) }),
  ReportTaskRunnerHeartbeat: struct({ taskrunnerId: req(id), workerGroup: opt(string), hostname: opt(id) }),
  SetStatus: struct({ pipelineId: req(id), objectIds: req(list(id)), status: req(string) }),
  SetTaskStatus: struct({
    taskId: req(taskId),
    taskStatus: req(oneOf(['FINISHED', 'FAILED', 'FALSE'])),
    // The service model's `string` shape (0-1024, pattern P), not the API reference's looser 4095: a
    // runner tested against the looser limit loses its terminal status on the real service.
    errorId: opt(string),
    errorMessage: opt(str(0, 20_971_520, false)),
    errorStackTrace: opt(string),
  }),
  ValidatePipelineDefinition: definitionInput,
};
