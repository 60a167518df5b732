import { FlowProducer, Queue, type FlowJob, type JobsOptions } from 'bullmq';
import { closeRedis, openRedis, type RedisConnectionOptions } from './connection.ts';
import { InvalidJobError } from './errors.ts';
import { SecretBox, sealJobData } from './secrets.ts';

/**
 * One job to add. `name` is the activity type (the handler that runs it), `data` its fields (see
 * `TasklaneJobData`), `opts` any BullMQ job options (`attempts`, `backoff`, `delay`, `priority`, `jobId`...).
 * With `children`, the job is the parent of a BullMQ flow: it runs only after all its children completed.
 */
export interface EnqueueJob {
  name: string;
  data?: unknown;
  opts?: JobsOptions;
  children?: EnqueueJob[];
}

/** Options of {@link enqueueJobs}. */
export interface EnqueueOptions extends RedisConnectionOptions {
  queue: string;
  jobs: readonly EnqueueJob[];
  /** BullMQ key prefix. @default 'bull' */
  prefix?: string;
  /**
   * Base64 of a 32-byte AES-256 key: `*`-prefixed (secret) fields are stored sealed with it, and opened by
   * a `BullMQSource` with the same key. Absent: a job with a secret field is refused (SecretFieldError).
   */
  secretKey?: string;
}

/** What {@link enqueueJobs} added: the ids of the top-level jobs, in input order. */
export interface EnqueueResult {
  readonly jobIds: string[];
  /** Every job added, children included. */
  readonly total: number;
}

function validate(job: unknown, where: string): asserts job is EnqueueJob {
  if (typeof job !== 'object' || job === null)
    throw new InvalidJobError(`${where}: expected { name, data?, opts?, children? }`);
  const { name, data, opts, children } = job as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '')
    throw new InvalidJobError(`${where}: "name" (the activity type) must be a non-empty string`);
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    throw new InvalidJobError(`${where} (${name}): "data" must be an object of fields`);
  }
  if (opts !== undefined && (typeof opts !== 'object' || opts === null))
    throw new InvalidJobError(`${where} (${name}): "opts" must be an object`);
  if (children !== undefined) {
    if (!Array.isArray(children))
      throw new InvalidJobError(`${where} (${name}): "children" must be an array`);
    children.forEach((child, i) => validate(child, `${where}.children[${i}]`));
  }
}

async function sealJob(job: EnqueueJob, box: SecretBox | undefined, where: string): Promise<EnqueueJob> {
  const data = await sealJobData(job.data ?? {}, box, `${where} (${job.name})`);
  const children = job.children
    ? await Promise.all(job.children.map((c, i) => sealJob(c, box, `${where}.children[${i}]`)))
    : undefined;
  return { ...job, data, ...(children ? { children } : {}) };
}

function count(job: EnqueueJob): number {
  return 1 + (job.children ?? []).reduce((n, c) => n + count(c), 0);
}

function toFlow(job: EnqueueJob, queueName: string): FlowJob {
  const node = { name: job.name, queueName, data: job.data ?? {}, ...(job.opts ? { opts: job.opts } : {}) };
  return job.children && job.children.length > 0
    ? { ...node, children: job.children.map((c) => toFlow(c, queueName)) }
    : node;
}

/**
 * Adds jobs to a queue: plain jobs in one `addBulk`, jobs with children as BullMQ flows (FlowProducer).
 * Validates every spec first, so a bad entry adds nothing. This is the library side of `tasklane enqueue`.
 *
 * @example
 * ```ts
 * await enqueueJobs({ url: 'redis://127.0.0.1:6379', queue: 'etl', jobs: [{ name: 'ShellCommandActivity', data: { command: 'echo hi' } }] });
 * ```
 */
export async function enqueueJobs(options: EnqueueOptions): Promise<EnqueueResult> {
  if (typeof options?.queue !== 'string' || options.queue.trim() === '')
    throw new InvalidJobError('enqueueJobs: "queue" must be a non-empty string');
  if (!Array.isArray(options.jobs)) throw new InvalidJobError('enqueueJobs: "jobs" must be an array');
  options.jobs.forEach((job, i) => validate(job, `jobs[${i}]`));
  const box = options.secretKey === undefined ? undefined : SecretBox.fromBase64(options.secretKey);
  // Sealed (or refused) before anything is written: Redis never sees a secret in clear.
  const jobs = await Promise.all(options.jobs.map((job, i) => sealJob(job, box, `jobs[${i}]`)));
  const prefix = options.prefix ?? 'bull';
  const connection = openRedis(options, 'tasklane-enqueue');
  const queue = new Queue(options.queue, { connection, prefix });
  const flows = new FlowProducer({ connection, prefix });
  try {
    const ids: string[] = new Array<string>(jobs.length);
    const plain = jobs.flatMap((job, index) =>
      job.children && job.children.length > 0 ? [] : [{ job, index }],
    );
    if (plain.length > 0) {
      const added = await queue.addBulk(
        plain.map(({ job }) => ({
          name: job.name,
          data: job.data ?? {},
          ...(job.opts ? { opts: job.opts } : {}),
        })),
      );
      added.forEach((job, i) => (ids[plain[i]!.index] = job.id ?? ''));
    }
    for (const [index, job] of jobs.entries()) {
      if (!job.children || job.children.length === 0) continue;
      const node = await flows.add(toFlow(job, options.queue));
      ids[index] = node.job.id ?? '';
    }
    return { jobIds: ids, total: jobs.reduce((n, j) => n + count(j), 0) };
  } finally {
    await Promise.allSettled([flows.close(), queue.close()]);
    await closeRedis(connection, 2000);
  }
}
