import { PollForTaskCommand } from '@aws-sdk/client-data-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, emulator, sleep } from './helpers.ts';

afterEach(closeAll);

describe('poll gaps (the service-side view of a hand-off)', () => {
  it('splits the wait after a handed-out task by which host polled next, and skips waits after empty polls', async () => {
    const { emu, client } = await emulator({ longPollMs: 0 });
    for (let i = 0; i < 3; i++) emu.control.enqueueTask({ workerGroup: 'wg', fields: { command: 'x' } });
    const poll = (hostname: string) => client.send(new PollForTaskCommand({ workerGroup: 'wg', hostname }));
    // The first poll has no predecessor: no gap.
    expect((await poll('a')).taskObject).toBeDefined();
    await sleep(30);
    expect((await poll('a')).taskObject).toBeDefined();
    await sleep(60);
    expect((await poll('b')).taskObject).toBeDefined();
    // The queue is empty now: this poll follows a handed-out task, the next one does not.
    expect((await poll('b')).taskObject).toBeUndefined();
    // Long enough that no overshoot of the 30 ms sleep on a loaded machine looks like it (61 ms was seen).
    await sleep(400);
    expect((await poll('a')).taskObject).toBeUndefined();
    const gaps = emu.control.observations().groups.wg!.pollGaps!;
    expect(gaps.sameHost.count).toBe(2);
    expect(gaps.otherHost.count).toBe(1);
    expect(gaps.otherHost.maxMs).toBeGreaterThanOrEqual(55);
    expect(gaps.otherHost.totalMs).toBe(gaps.otherHost.maxMs);
    // Two same-host waits: ~30 ms and the short one before the empty poll; not the 400 ms after it.
    expect(gaps.sameHost.totalMs).toBeGreaterThanOrEqual(25);
    expect(gaps.sameHost.maxMs).toBeLessThan(400);
  });

  it('counts nothing while another poll of the group is in flight, and starts over on either reset', async () => {
    const { emu, client } = await emulator({ longPollMs: 2000 });
    emu.control.enqueueTask({ workerGroup: 'g2', fields: { command: 'x' } });
    await client.send(new PollForTaskCommand({ workerGroup: 'g2', hostname: 'a' }));
    const held = client.send(new PollForTaskCommand({ workerGroup: 'g2', hostname: 'b' }));
    await emu.control.waitFor((o) => o.groups.g2?.inFlightPolls === 1, 2000);
    // A second poll beside the held one: not a wait of the group.
    const beside = client.send(new PollForTaskCommand({ workerGroup: 'g2', hostname: 'c' }));
    await emu.control.waitFor((o) => o.groups.g2?.inFlightPolls === 2, 2000);
    expect(emu.control.observations().groups.g2!.pollGaps!.otherHost.count).toBe(1);
    emu.control.enqueueTask({ workerGroup: 'g2', fields: { command: 'y' } });
    emu.control.enqueueTask({ workerGroup: 'g2', fields: { command: 'z' } });
    await Promise.all([held, beside]);
    // A new measurement window: the wait that spans the reset is not counted either.
    emu.control.resetPollGaps();
    expect(emu.control.observations().groups.g2!.pollGaps!.otherHost.count).toBe(0);
    emu.control.enqueueTask({ workerGroup: 'g2', fields: { command: 'w' } });
    await client.send(new PollForTaskCommand({ workerGroup: 'g2', hostname: 'a' }));
    expect(emu.control.observations().groups.g2!.pollGaps!.otherHost.count).toBe(0);
    emu.control.reset();
    expect(emu.control.observations().groups.g2!.pollGaps).toEqual({
      sameHost: { count: 0, totalMs: 0, maxMs: 0 },
      otherHost: { count: 0, totalMs: 0, maxMs: 0 },
    });
  });
});
