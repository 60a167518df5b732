import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.ts';
import { PUBLISH_COALESCE_MS, StatePublisher } from '../src/state-publisher.ts';

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('StatePublisher', () => {
  it('publishes the first change at once and coalesces a burst into one more publication', async () => {
    let state = 0;
    const published: number[] = [];
    const p = new StatePublisher(
      () => published.push(state),
      () => performance.now(),
      silentLogger,
    );
    state = 1;
    p.request(false);
    await tick();
    expect(published).toEqual([1]);
    for (state = 2; state <= 500; state++) p.request(false);
    state = 500;
    await tick();
    expect(published).toEqual([1]);
    await sleep(PUBLISH_COALESCE_MS + 100);
    // One publication for the whole burst, built when it went out: the latest state.
    expect(published).toEqual([1, 500]);
  });

  it('publishes an urgent change at once, and nothing after cancel', async () => {
    const published: string[] = [];
    let state = 'running';
    const p = new StatePublisher(
      () => published.push(state),
      () => performance.now(),
      silentLogger,
    );
    p.request(false);
    await tick();
    state = 'draining';
    p.request(true);
    await tick();
    expect(published).toEqual(['running', 'draining']);
    p.request(false);
    p.request(false);
    p.cancel();
    await sleep(PUBLISH_COALESCE_MS + 100);
    expect(published).toEqual(['running', 'draining']);
  });

  it('keeps publishing after a publication throws', async () => {
    let calls = 0;
    const p = new StatePublisher(
      () => {
        calls++;
        throw new Error('registry down');
      },
      () => performance.now(),
      silentLogger,
    );
    p.request(true);
    await tick();
    p.request(true);
    await tick();
    expect(calls).toBe(2);
  });
});
