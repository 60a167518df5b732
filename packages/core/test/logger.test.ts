import { describe, expect, it } from 'vitest';
import { lazyChild, type Logger } from '../src/logger.ts';

/** A logger that records lines with their bindings, and how many children were built. */
function recorder(level: 'debug' | 'info' | 'warn' | 'error') {
  const order = ['debug', 'info', 'warn', 'error'];
  const lines: Array<{ level: string; bindings: Record<string, unknown>; obj: unknown; msg?: string }> = [];
  let built = 0;
  const make = (bindings: Record<string, unknown>): Logger => {
    const write =
      (at: string) =>
      (obj: object | string, msg?: string): void => {
        if (order.indexOf(at) >= order.indexOf(level)) lines.push({ level: at, bindings, obj, msg });
      };
    return Object.assign(
      {
        debug: write('debug'),
        info: write('info'),
        warn: write('warn'),
        error: write('error'),
        child(more: Record<string, unknown>) {
          built++;
          return make({ ...bindings, ...more });
        },
      },
      { isLevelEnabled: (at: string) => order.indexOf(at) >= order.indexOf(level) },
    );
  };
  return { root: make({ root: true }), lines, built: () => built };
}

describe('lazyChild', () => {
  it('builds no child for lines below the level, and the whole chain for the first line that counts', () => {
    const r = recorder('warn');
    const task = lazyChild(lazyChild(r.root, { attemptId: 'a1' }), { taskId: 't1' });
    task.info('task ended');
    task.debug({ x: 1 }, 'detail');
    expect(r.built()).toBe(0);
    task.warn({ reason: 'x' }, 'aborting handler');
    task.error('again');
    expect(r.built()).toBe(2);
    expect(r.lines).toEqual([
      {
        level: 'warn',
        bindings: { root: true, attemptId: 'a1', taskId: 't1' },
        obj: { reason: 'x' },
        msg: 'aborting handler',
      },
      {
        level: 'error',
        bindings: { root: true, attemptId: 'a1', taskId: 't1' },
        obj: 'again',
        msg: undefined,
      },
    ]);
  });

  it('shares one built parent between the children of a lazy logger', () => {
    const r = recorder('info');
    const attempt = lazyChild(r.root, { attemptId: 'a1' });
    lazyChild(attempt, { taskId: 't1' }).info('one');
    attempt.child({ step: 2 }).info('two');
    attempt.info('three');
    expect(r.built()).toBe(3);
    expect(r.lines.map((l) => l.bindings)).toEqual([
      { root: true, attemptId: 'a1', taskId: 't1' },
      { root: true, attemptId: 'a1', step: 2 },
      { root: true, attemptId: 'a1' },
    ]);
  });

  it('writes every line through a logger that cannot tell its level', () => {
    const lines: string[] = [];
    const plain: Logger = {
      debug: (o) => lines.push(`debug ${JSON.stringify(o)}`),
      info: (o) => lines.push(`info ${JSON.stringify(o)}`),
      warn: (o) => lines.push(`warn ${JSON.stringify(o)}`),
      error: (o) => lines.push(`error ${JSON.stringify(o)}`),
      child: () => plain,
    };
    lazyChild(plain, { a: 1 }).debug('d');
    expect(lines).toEqual(['debug "d"']);
  });
});
