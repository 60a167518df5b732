import type { RuntimePrimitives, SpawnedProcess } from '@tasklane/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellErrorId } from '../src/index.ts';
import { bounded, describeThrown, MAX_MESSAGE_CHARS, printable } from '../src/message.ts';
import { cappedKillGrace, MIN_SHUTDOWN_KILL_GRACE_MS } from '../src/spec.ts';
import {
  currentRuntime,
  expectedRuntime,
  memoryLogger,
  runHandler,
  shellTask,
  waitForFile,
  waitForGroupGone,
} from './harness.ts';

let runtime: RuntimePrimitives;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  runtime = await currentRuntime();
  dir = mkdtempSync(join(tmpdir(), 'tl-harden-'));
  env = { TASKLANE_WORK_DIR: join(dir, 'work') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Pattern P of the service model, as the protocol doc gives it.
const PATTERN_P = /^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*$/u;

describe('failure message helpers', () => {
  it('printable drops escape sequences and shows other control bytes as U+FFFD', () => {
    expect(printable('\u001b[1;31mred\u001b[0m \u001b]0;title\u0007ok\u0000\u0007\r\nend\r')).toBe(
      'red ok\uFFFD\uFFFD\nend\n',
    );
  });

  it('bounded never splits a surrogate pair', () => {
    const text = `${'a'.repeat(8)}😀😀`;
    for (let max = 1; max < text.length; max++) {
      const cut = bounded(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(PATTERN_P.test(cut)).toBe(true);
    }
  });

  it('describeThrown survives values String() cannot print', () => {
    expect(describeThrown(Object.create(null))).toBe('[object Object]');
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    expect(describeThrown(hostile)).toBe('[object Object]');
    expect(describeThrown(new Error('x'.repeat(5000))).length).toBeLessThanOrEqual(1000);
  });

  it('the kill grace is capped by the drain budget, with a floor at the deadline', () => {
    expect(cappedKillGrace(30_000, undefined, 0)).toBe(30_000);
    expect(cappedKillGrace(30_000, 5000, 1000)).toBe(4000);
    expect(cappedKillGrace(3000, 50_000, 1000)).toBe(3000);
    expect(cappedKillGrace(30_000, 1000, 9000)).toBe(MIN_SHUTDOWN_KILL_GRACE_MS);
    expect(cappedKillGrace(200, 1000, 9000)).toBe(200);
  });
});

describe(`hostile commands on ${expectedRuntime}`, () => {
  it('stderr full of ANSI codes, control bytes and binary gives a bounded, printable message', async () => {
    const command =
      "printf '\\033[31mERROR\\033[0m \\001\\002\\007 bell\\r\\n\\033]0;pwned\\007'; head -c 300000 /dev/urandom; printf '\\033[2Jlast line\\n'; exit 3";
    const { outcome } = await runHandler(shellTask('ShellCommandActivity', { command: `(${command}) >&2` }), {
      runtime,
      env,
    });
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.CommandFailed });
    if (outcome.status !== 'FAILED') return;
    expect(outcome.errorMessage).toContain('exited with code 3');
    expect(outcome.errorMessage).toContain('last line');
    expect(outcome.errorMessage.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(outcome.errorMessage.includes('\u001b')).toBe(false);
    expect(PATTERN_P.test(outcome.errorMessage)).toBe(true);
  });

  it('a group that cannot be signalled causes no unhandled rejection, only a warning', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    let real: SpawnedProcess | undefined;
    // The real process, with the EPERM a group owned by another user would give.
    const faulty: RuntimePrimitives = {
      ...runtime,
      spawn: (command, args, options) => {
        real = runtime.spawn!(command, args, options);
        return {
          ...real,
          killGroup: () => {
            throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
          },
        };
      },
    };
    const logger = memoryLogger();
    try {
      const { outcome } = await runHandler(shellTask('ShellCommandActivity', { command: 'sleep 1.5' }), {
        runtime: faulty,
        env,
        abortAfterMs: 200,
        logger,
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(rejections).toEqual([]);
      expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.Aborted });
      expect(logger.lines.some((l) => l.level === 'warn' && /could not stop/.test(l.msg ?? ''))).toBe(true);
    } finally {
      process.off('unhandledRejection', onRejection);
      real?.killGroup('SIGKILL');
    }
  });

  it('during a drain a long killGracePeriod is cut to the time left before the shutdown deadline', async () => {
    const pidFile = join(dir, 'drain.pid');
    const started = waitForFile(pidFile);
    const task = shellTask('ShellCommandActivity', {
      command: `trap "" TERM; echo $$ > ${pidFile}; sleep 60`,
      killGracePeriod: '60 seconds',
    });
    const run = runHandler(task, {
      runtime,
      env,
      abortWhen: started,
      abortReason: 'canceled',
      shutdownDeadline: Date.now() + 1500,
    });
    const pgid = Number(await started);
    const { outcome, durationMs } = await run;
    expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.Aborted });
    // Stubborn under SIGTERM: the capped grace (≤ 1.5 s), not 60 s, then SIGKILL.
    expect(durationMs).toBeLessThan(6000);
    expect(await waitForGroupGone(pgid)).toBe(true);
  });
});
