import { describe, expect, it } from 'vitest';
import { LeaseBoard, SlotFlag, SlotState, sharedNow } from '../src/lease-board.ts';

const lease = (taskId: string, renewedAt = sharedNow()) => ({
  taskId,
  channel: 3,
  intervalMs: 20_000,
  leaseMs: 60_000,
  renewedAt,
});

describe('LeaseBoard', () => {
  it('writes a lease into a free slot, and a second view of the same memory reads it back', () => {
    const board = LeaseBoard.create(4);
    const at = sharedNow() - 5;
    const [slot, generation] = board.claim(lease('df-0123456789ABCDEF_@task_2026', at))!;
    const other = new LeaseBoard(board.buffer);
    expect(other.capacity).toBe(4);
    expect(other.stateWord(slot)).toBe((generation << 2) | SlotState.Active);
    expect(other.taskId(slot)).toBe('df-0123456789ABCDEF_@task_2026');
    expect([other.channel(slot), other.intervalMs(slot), other.leaseMs(slot)]).toEqual([3, 20_000, 60_000]);
    expect(other.renewedAt(slot)).toBe(at);
    expect(other.flags(slot)).toBe(0);
  });

  it('frees a slot only for its own generation, so a stale stop cannot free the next lease', () => {
    const board = LeaseBoard.create(1);
    const [slot, first] = board.claim(lease('a'))!;
    expect(board.claim(lease('b'))).toBeUndefined();
    expect(board.transition(slot, first, SlotState.Active, SlotState.Free)).toBe(true);
    const [again, second] = board.claim(lease('b'))!;
    expect(again).toBe(slot);
    expect(second).toBe(first + 1);
    expect(board.transition(slot, first, SlotState.Active, SlotState.Free)).toBe(false);
    expect(board.taskId(slot)).toBe('b');
  });

  it('hands a renewing slot to Stopping rather than Free, and the renewer frees it', () => {
    const board = LeaseBoard.create(2);
    const [slot, generation] = board.claim(lease('t'))!;
    expect(board.transition(slot, generation, SlotState.Active, SlotState.Renewing)).toBe(true);
    // The main thread's stop while a renewal is in flight.
    expect(board.transition(slot, generation, SlotState.Active, SlotState.Free)).toBe(false);
    expect(board.transition(slot, generation, SlotState.Renewing, SlotState.Stopping)).toBe(true);
    // The renewer's answer: it cannot hand the slot back as Active, so it frees it.
    board.addFlags(slot, SlotFlag.Canceled);
    expect(board.transition(slot, generation, SlotState.Renewing, SlotState.Active)).toBe(false);
    expect(board.transition(slot, generation, SlotState.Stopping, SlotState.Free)).toBe(true);
    expect(board.flags(slot) & SlotFlag.Canceled).toBe(SlotFlag.Canceled);
    // Claiming again clears the outcome of the lease before.
    const [, next] = board.claim(lease('u'), slot)!;
    expect(board.flags(slot)).toBe(0);
    expect(next).toBe(generation + 1);
  });

  it('refuses a task id whose encoding does not fit, leaving the slot free', () => {
    const board = LeaseBoard.create(1);
    expect(board.claim(lease('x'.repeat(2049)))).toBeUndefined();
    expect(board.stateWord(0) & 3).toBe(SlotState.Free);
    expect(board.claim(lease('x'.repeat(2048)))).toBeDefined();
  });

  it('keeps renewal times exact across writes (seqlock)', () => {
    const board = LeaseBoard.create(1);
    const [slot] = board.claim(lease('t', 1))!;
    for (const at of [1.5, 2 ** 40 + 0.25, 1_796_000_000_000.125]) {
      board.writeRenewedAt(slot, at);
      expect(board.renewedAt(slot)).toBe(at);
    }
  });

  it('records a main-thread renewal only on an Active slot of its generation, and says when the SDK loaded', () => {
    const board = LeaseBoard.create(2);
    const at = sharedNow() - 1000;
    const [slot, generation] = board.claim(lease('a', at))!;
    const other = new LeaseBoard(board.buffer);
    expect(other.sdkLoaded()).toBe(false);
    expect(board.noteRenewal(slot, generation, at + 500)).toBe(true);
    expect(other.renewedAt(slot)).toBe(at + 500);
    // Never backwards, and the slot is Active again afterwards.
    expect(board.noteRenewal(slot, generation, at + 100)).toBe(true);
    expect(other.renewedAt(slot)).toBe(at + 500);
    expect(other.stateWord(slot)).toBe((generation << 2) | SlotState.Active);
    // Refused while the thread renews it, and for a stale generation.
    expect(other.transition(slot, generation, SlotState.Active, SlotState.Renewing)).toBe(true);
    expect(board.noteRenewal(slot, generation, at + 900)).toBe(false);
    expect(other.transition(slot, generation, SlotState.Renewing, SlotState.Active)).toBe(true);
    expect(board.noteRenewal(slot, generation + 1, at + 900)).toBe(false);
    expect(other.renewedAt(slot)).toBe(at + 500);
    other.markSdkLoaded();
    expect(board.sdkLoaded()).toBe(true);
    // The header word is not part of any slot.
    expect(board.taskId(slot)).toBe('a');
    expect(board.flags(slot)).toBe(0);
  });
});
