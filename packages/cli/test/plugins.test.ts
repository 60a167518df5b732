import * as core from '@tasklane/core';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlugins } from '../src/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('loadPlugins', () => {
  it('should load a plugin file that imports @tasklane/core, sharing the runner copy', async () => {
    const { registry, loaded } = await loadPlugins([fixture('echo-plugin.mjs')], process.cwd());
    expect(loaded).toEqual([
      { spec: fixture('echo-plugin.mjs'), handlers: ['EchoActivity'], containerModules: 0 },
    ]);
    const logged: unknown[] = [];
    registry.bindDefault(core.Tokens.Logger, { info: (o: unknown) => logged.push(o) });
    const handler = registry.create('EchoActivity');
    await handler.handle(
      core.Task.fromFields({ taskId: 't', activityType: 'EchoActivity', fields: { message: 'hi' } }),
      {} as core.TaskContext,
    );
    expect(logged).toEqual([{ message: 'hi' }]);
    // The plugin's @tasklane/core is the runner's: its Tokens are the very same symbols and metadata reads back.
    const plugin = (await import(fixture('echo-plugin.mjs'))) as { Echo: unknown };
    expect(core.getTaskHandlerMetadata(plugin.Echo)?.activityType).toBe('EchoActivity');
  });

  it('should resolve the bundled shell plugin by name from any directory', async () => {
    const { registry } = await loadPlugins(['@tasklane/handlers-shell'], '/');
    expect(registry.activityTypes()).toEqual(
      expect.arrayContaining(['ShellCommandActivity', 'ShellCommandPrecondition']),
    );
  });

  it('should accept the same plugin twice but refuse two plugins claiming one activity type', async () => {
    const twice = await loadPlugins([fixture('echo-plugin.mjs'), fixture('echo-plugin.mjs')], process.cwd());
    expect(twice.registry.activityTypes()).toEqual(['EchoActivity']);
    await expect(
      loadPlugins([fixture('echo-plugin.mjs'), fixture('other-echo-plugin.mjs')], process.cwd()),
    ).rejects.toThrow(
      /activity type "EchoActivity" is handled by both Echo \(from .*echo-plugin.mjs\) and OtherEcho \(from .*other-echo-plugin.mjs\)/,
    );
  });
});
