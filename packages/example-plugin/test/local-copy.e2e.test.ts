import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEnvironment, type TestEnvironment } from '@tasklane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as plugin from '../src/index.ts';

let dir: string;
let env: TestEnvironment;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-copy-e2e-'));
  mkdirSync(join(dir, 'in'));
  writeFileSync(join(dir, 'in', 'data.csv'), 'id,name\n1,ada\n');
  // Loaded as a plugin module, exactly as `tasklane run --plugin @tasklane/example-plugin` does.
  env = await startTestEnvironment({ modules: [plugin], workerGroups: ['copy-group'] });
});
afterAll(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalCopyActivity end to end (emulator + runner)', () => {
  it('FINISHED, files copied, progress reported to the service', async () => {
    const { taskId } = env.enqueue('LocalCopyActivity', { input: join(dir, 'in'), output: join(dir, 'out') });
    const done = await env.waitForTask(taskId);
    expect(done.terminalStatus).toBe('FINISHED');
    expect(done.lastProgressFields).toMatchObject({ percentComplete: '100' });
    expect(readFileSync(join(dir, 'out', 'data.csv'), 'utf8')).toBe('id,name\n1,ada\n');
  });

  it('FAILED with the plugin’s errorId when the input is missing', async () => {
    const { taskId } = env.enqueue(
      'LocalCopyActivity',
      { input: join(dir, 'missing'), output: join(dir, 'out2') },
      { maximumRetries: 0 },
    );
    expect(await env.waitForTask(taskId)).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: 'LocalCopyInputMissing',
    });
  });
});
