import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongInterval, setLongTimeout } from '../src/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('setLongTimeout', () => {
  it('should not fire at once for a delay past the 32-bit limit (plain setTimeout does)', async () => {
    let fired = false;
    const timer = setLongTimeout(() => (fired = true), MAX_TIMER_MS + 1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toBe(false);
    timer.clear();
  });

  it('should re-arm until the whole duration passed, then fire once', () => {
    vi.useFakeTimers();
    const thirtyDays = 30 * 86_400_000;
    let fired = 0;
    setLongTimeout(() => fired++, thirtyDays);
    vi.advanceTimersByTime(thirtyDays - 1000);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(2000);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(thirtyDays);
    expect(fired).toBe(1);
  });

  it('should never fire once cleared, and fire at once for a negative delay', () => {
    vi.useFakeTimers();
    let fired = 0;
    setLongTimeout(() => fired++, MAX_TIMER_MS * 2).clear();
    setLongTimeout(() => fired++, -5);
    vi.advanceTimersByTime(MAX_TIMER_MS * 3);
    expect(fired).toBe(1);
  });
});

describe('setLongInterval', () => {
  it('should repeat a period past the 32-bit limit', () => {
    vi.useFakeTimers();
    let fired = 0;
    const timer = setLongInterval(() => fired++, MAX_TIMER_MS + 10);
    vi.advanceTimersByTime((MAX_TIMER_MS + 10) * 3 + 5);
    expect(fired).toBe(3);
    timer.clear();
    vi.advanceTimersByTime(MAX_TIMER_MS * 3);
    expect(fired).toBe(3);
  });
});
