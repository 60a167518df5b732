import {
  DataPipelineClient,
  GetPipelineDefinitionCommand,
  PollForTaskCommand,
} from '@aws-sdk/client-data-pipeline';
import { emulatorClientConfig, startEmulator, type Emulator } from '@tasklane/emulator';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/index.ts';
import { captureHost } from './host.ts';

describe('tasklane pipeline create|put', () => {
  let emu: Emulator;
  let dir: string;
  let client: DataPipelineClient;
  const host = () => {
    const h = captureHost();
    return Object.assign(h, {
      dataPipelineClientConfig: () => ({ credentials: emulatorClientConfig(emu).credentials }),
    });
  };

  beforeAll(async () => {
    emu = await startEmulator({ longPollMs: 2000, s3: false });
    client = new DataPipelineClient(emulatorClientConfig(emu));
    dir = mkdtempSync(join(tmpdir(), 'tl-pipeline-'));
  });

  afterAll(async () => {
    client?.destroy();
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const definition = (extra: Record<string, unknown>) => {
    const file = join(dir, `def-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        objects: [
          { id: 'Default', scheduleType: 'ondemand', workerGroup: 'cli-params' },
          { id: 'Hello', type: 'ShellCommandActivity', command: 'echo #{myColor} #{myShape} #{myCols}' },
        ],
        parameters: [
          { id: 'myColor', type: 'String', default: 'blue', description: 'a colour' },
          { id: 'myShape', type: 'String', allowedValues: ['square', 'circle'] },
          { id: 'myCols', type: 'String', optional: true },
        ],
        ...extra,
      }),
    );
    return file;
  };

  it("keeps the file's parameters and values; --parameter-value overrides them", async () => {
    const h = host();
    const file = definition({ values: { myColor: 'green', myShape: 'circle' } });
    const code = await main(
      [
        'pipeline',
        'create',
        '--endpoint',
        emu.endpoint,
        '--name',
        'params',
        '--definition',
        file,
        '--parameter-value',
        'myColor=red',
        '--parameter-value',
        'myCols=a,b',
        '--activate',
      ],
      h,
    );
    expect(h.err).toBe('');
    expect(code).toBe(0);
    const { pipelineId } = JSON.parse(h.out) as { pipelineId: string };
    const def = await client.send(new GetPipelineDefinitionCommand({ pipelineId }));
    expect(def.parameterObjects).toEqual([
      {
        id: 'myColor',
        attributes: [
          { key: 'type', stringValue: 'String' },
          { key: 'default', stringValue: 'blue' },
          { key: 'description', stringValue: 'a colour' },
        ],
      },
      {
        id: 'myShape',
        attributes: [
          { key: 'type', stringValue: 'String' },
          { key: 'allowedValues', stringValue: 'square' },
          { key: 'allowedValues', stringValue: 'circle' },
        ],
      },
      {
        id: 'myCols',
        attributes: [
          { key: 'type', stringValue: 'String' },
          { key: 'optional', stringValue: 'true' },
        ],
      },
    ]);
    expect(def.parameterValues).toEqual([
      { id: 'myShape', stringValue: 'circle' },
      { id: 'myColor', stringValue: 'red' },
      { id: 'myCols', stringValue: 'a,b' },
    ]);
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'cli-params' }));
    const command = taskObject!.objects![taskObject!.attemptId!]!.fields!.find((f) => f.key === 'command');
    expect(command?.stringValue).toBe('echo red circle a,b');
  });

  it('put sends the values too, and a malformed --parameter-value is a usage error (exit 2)', async () => {
    const h = host();
    expect(
      await main(
        ['pipeline', 'create', '--endpoint', emu.endpoint, '--name', 'put', '--definition', definition({})],
        h,
      ),
    ).toBe(0);
    const { pipelineId } = JSON.parse(h.out) as { pipelineId: string };
    const file = definition({ values: { myShape: ['square'] } });
    const put = host();
    expect(
      await main(
        ['pipeline', 'put', '--endpoint', emu.endpoint, '--pipeline-id', pipelineId, '--definition', file],
        put,
      ),
    ).toBe(0);
    const def = await client.send(new GetPipelineDefinitionCommand({ pipelineId }));
    expect(def.parameterValues).toEqual([{ id: 'myShape', stringValue: 'square' }]);
    const bad = host();
    const code = await main(
      [
        'pipeline',
        'put',
        '--endpoint',
        emu.endpoint,
        '--pipeline-id',
        pipelineId,
        '--definition',
        file,
        '--parameter-value',
        'novalue',
      ],
      bad,
    );
    expect(code).toBe(2);
    expect(bad.err).toMatch(/--parameter-value: expected ID=VALUE/);
    const badFile = definition({ values: ['x'] });
    const bad2 = host();
    expect(
      await main(
        ['pipeline', 'put', '--endpoint', emu.endpoint, '--pipeline-id', pipelineId, '--definition', badFile],
        bad2,
      ),
    ).toBe(2);
    expect(bad2.err).toMatch(/"values" must be an object/);
  });

  it('activate --parameter-value applies to that run only', async () => {
    const h = host();
    const file = definition({ values: { myShape: 'square' } });
    expect(
      await main(
        ['pipeline', 'create', '--endpoint', emu.endpoint, '--name', 'act', '--definition', file],
        h,
      ),
    ).toBe(0);
    const { pipelineId } = JSON.parse(h.out) as { pipelineId: string };
    const act = host();
    expect(
      await main(
        [
          'pipeline',
          'activate',
          '--endpoint',
          emu.endpoint,
          '--pipeline-id',
          pipelineId,
          '--parameter-value',
          'myColor=teal',
        ],
        act,
      ),
    ).toBe(0);
    const { taskObject } = await client.send(new PollForTaskCommand({ workerGroup: 'cli-params' }));
    const command = taskObject!.objects![taskObject!.attemptId!]!.fields!.find((f) => f.key === 'command');
    expect(command?.stringValue).toBe('echo teal square #{myCols}');
    const def = await client.send(new GetPipelineDefinitionCommand({ pipelineId }));
    expect(def.parameterValues).toEqual([{ id: 'myShape', stringValue: 'square' }]);
  });
});
