/**
 * Activities and their task queues. A task waits in its activity's queue until a GetActivityTask long
 * poll takes it; a poll whose answer cannot be delivered puts its task back at the front.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import { SfnError, taskTimedOut } from './errors.ts';

/** What the execution that scheduled a task wants to hear about it. */
export interface TaskListener {
  started(workerName: string | undefined): void;
  succeeded(output: string): void;
  failed(error: string, cause: string): void;
  heartbeatTimedOut(): void;
}

export interface ActivityTask {
  readonly token: string;
  readonly activityArn: string;
  readonly input: string;
  readonly heartbeatMs: number | undefined;
  readonly listener: TaskListener;
  started: boolean;
  closed: boolean;
  heartbeat?: TimerHandle | undefined;
}

interface Activity {
  readonly arn: string;
  readonly name: string;
  readonly creationDate: number;
  readonly queue: ActivityTask[];
  /** Open polls; each returns false when its client is gone and the task must go to the next one. */
  readonly polls: Array<(task: ActivityTask | undefined) => boolean>;
}

/** Closed tokens remembered so late calls get TaskTimedOut rather than TaskDoesNotExist. */
const MAX_CLOSED = 50_000;

export class Activities {
  readonly byArn = new Map<string, Activity>();
  readonly #tasks = new Map<string, ActivityTask>();
  readonly #closed = new Set<string>();
  #tokens = 0;

  constructor(
    private readonly clock: Clock,
    private readonly longPollMs: number,
  ) {}

  create(arn: string, name: string): Activity {
    let activity = this.byArn.get(arn);
    if (!activity) {
      activity = { arn, name, creationDate: this.clock.now(), queue: [], polls: [] };
      this.byArn.set(arn, activity);
    }
    return activity;
  }

  get(arn: string): Activity {
    const activity = this.byArn.get(arn);
    if (!activity) throw new SfnError('ActivityDoesNotExist', `Activity Does Not Exist: '${arn}'`);
    return activity;
  }

  delete(arn: string): void {
    const activity = this.byArn.get(arn);
    if (!activity) return;
    this.byArn.delete(arn);
    for (const poll of activity.polls.splice(0)) poll(undefined);
  }

  /** Queues a task for `activityArn`; an open poll takes it at once. */
  schedule(
    activityArn: string,
    input: string,
    heartbeatMs: number | undefined,
    listener: TaskListener,
  ): ActivityTask {
    const token = `tltok-${(++this.#tokens).toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
    const task: ActivityTask = {
      token,
      activityArn,
      input,
      heartbeatMs,
      listener,
      started: false,
      closed: false,
    };
    this.#tasks.set(token, task);
    this.#offer(this.get(activityArn), task, false);
    return task;
  }

  /** GetActivityTask: a task, or none after the long poll. */
  poll(activityArn: string, workerName: string | undefined, ctx: RequestContext): Promise<object> {
    const activity = this.get(activityArn);
    const hand = (task: ActivityTask): object => {
      task.started = true;
      ctx.onUndelivered(() => this.#putBack(task));
      this.#armHeartbeat(task);
      task.listener.started(workerName);
      return { taskToken: task.token, input: task.input };
    };
    const ready = activity.queue.shift();
    if (ready) return Promise.resolve(hand(ready));
    return new Promise((resolve) => {
      const waiter = (task: ActivityTask | undefined): boolean => {
        timer.cancel();
        const index = activity.polls.indexOf(waiter);
        if (index >= 0) activity.polls.splice(index, 1);
        const open = ctx.isOpen();
        resolve(task && open ? hand(task) : {});
        return open;
      };
      activity.polls.push(waiter);
      const timer = this.clock.setTimeout(() => waiter(undefined), this.longPollMs);
      ctx.onDone(() => {
        const index = activity.polls.indexOf(waiter);
        if (index >= 0) {
          activity.polls.splice(index, 1);
          timer.cancel();
        }
      });
    });
  }

  #putBack(task: ActivityTask): void {
    if (task.closed) return;
    task.started = false;
    task.heartbeat?.cancel();
    const activity = this.byArn.get(task.activityArn);
    if (activity) this.#offer(activity, task, true);
  }

  #offer(activity: Activity, task: ActivityTask, front: boolean): void {
    for (let poll = activity.polls.shift(); poll; poll = activity.polls.shift()) if (poll(task)) return;
    if (front) activity.queue.unshift(task);
    else activity.queue.push(task);
  }

  #armHeartbeat(task: ActivityTask): void {
    task.heartbeat?.cancel();
    if (task.heartbeatMs === undefined) return;
    task.heartbeat = this.clock.setTimeout(() => {
      if (task.closed) return;
      this.close(task);
      task.listener.heartbeatTimedOut();
    }, task.heartbeatMs);
  }

  #open(token: unknown): ActivityTask {
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048)
      throw new SfnError('InvalidToken', 'Invalid Token');
    const task = this.#tasks.get(token);
    if (task && !task.closed) return task;
    if (task || this.#closed.has(token)) throw taskTimedOut();
    throw new SfnError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  heartbeat(token: unknown): void {
    this.#armHeartbeat(this.#open(token));
  }

  succeed(token: unknown, output: string): void {
    const task = this.#open(token);
    this.close(task);
    task.listener.succeeded(output);
  }

  fail(token: unknown, error: string, cause: string): void {
    const task = this.#open(token);
    this.close(task);
    task.listener.failed(error, cause);
  }

  /** Ends a task for good (done, timed out, execution stopped): its token answers TaskTimedOut. */
  close(task: ActivityTask): void {
    if (task.closed) return;
    task.closed = true;
    task.heartbeat?.cancel();
    this.#tasks.delete(task.token);
    this.#closed.add(task.token);
    if (this.#closed.size > MAX_CLOSED) this.#closed.delete(this.#closed.values().next().value!);
    const queue = this.byArn.get(task.activityArn)?.queue;
    const index = queue?.indexOf(task) ?? -1;
    if (index >= 0) queue!.splice(index, 1);
  }

  /** Answers every open poll empty (the emulator is closing). */
  releaseAll(): void {
    for (const activity of this.byArn.values()) for (const poll of activity.polls.splice(0)) poll(undefined);
  }
}
