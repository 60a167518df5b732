// Unit test: one handler, one task, no service. node:test runs the same file on Node, Bun and Deno.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fakeTask, MockHandlerEnvironment } from '@tasklane/testing';
import { GreetingHandler } from '../src/handler.ts';

const dir = await mkdtemp(join(tmpdir(), 'greeting-unit-'));
after(() => rm(dir, { recursive: true, force: true }));

test('writes the greeting and finishes', async () => {
  const output = join(dir, 'hello.txt');
  const env = new MockHandlerEnvironment();
  const { outcome, progress } = await env.run(
    GreetingHandler,
    fakeTask({ type: '__ACTIVITY_TYPE__', who: 'Ada', output }),
  );
  assert.deepEqual(outcome, { status: 'FINISHED' });
  assert.deepEqual(progress.at(-1), { percentComplete: 50 });
  assert.equal(await readFile(output, 'utf8'), 'Hello, Ada!\n');
});

test('an empty "who" fails with its errorId', async () => {
  const env = new MockHandlerEnvironment();
  const { outcome } = await env.run(
    GreetingHandler,
    fakeTask({ type: '__ACTIVITY_TYPE__', who: ' ', output: join(dir, 'never.txt') }),
  );
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.status === 'FAILED' && outcome.errorId, 'GreetingWhoEmpty');
});
