import {
  AddTagsCommand,
  CreatePipelineCommand,
  DescribePipelinesCommand,
  GetPipelineDefinitionCommand,
  ActivatePipelineCommand,
  PollForTaskCommand,
  PutPipelineDefinitionCommand,
} from '@aws-sdk/client-data-pipeline';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index.ts';
import { clientFor, closeAll, emulator, field, objects } from './helpers.ts';

afterEach(closeAll);

describe('state file', () => {
  it('persists pipelines on change and reloads them, re-activating scheduled ones', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'tl-emu-')), 'state.json');
    const first = await emulator({ stateFile });
    const { pipelineId } = await first.client.send(
      new CreatePipelineCommand({ name: 'kept', uniqueId: 'k', description: 'desc' }),
    );
    await first.client.send(new AddTagsCommand({ pipelineId, tags: [{ key: 'env', value: 'test' }] }));
    await first.client.send(
      new PutPipelineDefinitionCommand({
        pipelineId,
        pipelineObjects: objects(
          { id: 'Default', scheduleType: 'ondemand', workerGroup: 'persist' },
          { id: 'Job', type: 'ShellCommandActivity', command: 'x' },
        ),
      }),
    );
    await first.client.send(new ActivatePipelineCommand({ pipelineId }));
    first.emu.control.enqueueTask({ workerGroup: 'not-saved' });
    await first.emu.close();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.pipelines).toHaveLength(1);

    const second = await emulator({ stateFile });
    const d = await second.client.send(new DescribePipelinesCommand({ pipelineIds: [pipelineId!] }));
    expect(d.pipelineDescriptionList![0]).toMatchObject({
      name: 'kept',
      description: 'desc',
      tags: [{ key: 'env', value: 'test' }],
    });
    expect(field(d.pipelineDescriptionList![0], '@pipelineState')).toBe('SCHEDULED');
    const def = await second.client.send(new GetPipelineDefinitionCommand({ pipelineId, version: 'active' }));
    expect(def.pipelineObjects!.map((o) => o.id)).toEqual(['Default', 'Job']);
    const again = await second.client.send(new CreatePipelineCommand({ name: 'kept', uniqueId: 'k' }));
    expect(again.pipelineId).toBe(pipelineId);
    const { taskObject } = await second.client.send(new PollForTaskCommand({ workerGroup: 'persist' }));
    expect(taskObject?.pipelineId).toBe(pipelineId);
  });

  it('refuses a corrupt state file with a stable code', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'tl-emu-')), 'state.json');
    writeFileSync(stateFile, '{ nope');
    await expect(startEmulator({ stateFile })).rejects.toMatchObject({ code: 'EMU_STATE_FILE' });
  });

  it('starts empty when the file does not exist yet', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'tl-emu-')), 'fresh.json');
    const { emu } = await emulator({ stateFile });
    const c = clientFor(emu);
    const d = await c.send(new CreatePipelineCommand({ name: 'a', uniqueId: 'b' }));
    expect(d.pipelineId).toMatch(/^df-/);
  });
});
