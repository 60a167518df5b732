// End to end: the Data Pipeline emulator in this process and a runner polling it with the real AWS SDK
// client (poll, acknowledge, lease, handler, SetTaskStatus).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startTestEnvironment } from '@tasklane/testing';
import { GreetingHandler } from '../src/handler.ts';

const dir = await mkdtemp(join(tmpdir(), 'greeting-e2e-'));
const env = await startTestEnvironment({ handlers: [GreetingHandler], workerGroups: ['__WORKER_GROUP__'] });
after(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

test('the runner takes the task from the emulator and reports FINISHED', async () => {
  const output = join(dir, 'hello.txt');
  const { taskId } = env.enqueue('__ACTIVITY_TYPE__', { who: 'Grace', output });
  const done = await env.waitForTask(taskId, 30_000);
  assert.equal(done.terminalStatus, 'FINISHED');
  assert.equal(await readFile(output, 'utf8'), 'Hello, Grace!\n');
});

test('a failing attempt reaches the service as FAILED with the errorId', async () => {
  const { taskId } = env.enqueue(
    '__ACTIVITY_TYPE__',
    { who: '', output: join(dir, 'never.txt') },
    { maximumRetries: 0 },
  );
  const done = await env.waitForTask(taskId, 30_000);
  assert.equal(done.terminalStatus, 'FAILED');
  assert.equal(done.errorId, 'GreetingWhoEmpty');
});
