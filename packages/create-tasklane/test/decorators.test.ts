// @TaskHandler registers under both decorator semantics: a handler compiled by tsc with standard (TC39)
// decorators and with experimentalDecorators, and the same TypeScript file run directly by Bun and by
// Deno under each. The fixture imports the workspace's @tasklane/core as a user's project would.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..', '..', '..');
const require = createRequire(join(repo, 'package.json'));
// The workspace's core, built (Node takes its dist; npm test builds before it tests) or as sources (Bun
// and Deno take src).
const core = join(repo, 'packages', 'core');
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const bun = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
const deno = join(dirname(require.resolve('deno/package.json')), 'deno');
const root = mkdtempSync(join(tmpdir(), 'tasklane-decorators-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HANDLER = `import { HandlerRegistry, TaskHandler } from '@tasklane/core';

@TaskHandler('ProbeActivity', { scope: 'singleton' })
export class Probe {
  async handle(): Promise<string> {
    return 'handled';
  }
}

const registry = new HandlerRegistry();
await registry.loadModule({ Probe }, 'probe');
const handler = registry.create('ProbeActivity') as Probe;
console.log(JSON.stringify({ types: registry.activityTypes(), same: handler === registry.create('ProbeActivity'), result: await handler.handle() }));
`;

function project(name: string, legacy: boolean): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '@tasklane'), { recursive: true });
  symlinkSync(core, join(dir, 'node_modules', '@tasklane', 'core'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', private: true }));
  const decorators = legacy ? { experimentalDecorators: true, emitDecoratorMetadata: true } : {};
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        rootDir: 'src',
        outDir: 'dist',
        types: [],
        ...decorators,
      },
      include: ['src'],
    }),
  );
  writeFileSync(
    join(dir, 'deno.json'),
    JSON.stringify({ nodeModulesDir: 'manual', compilerOptions: decorators }),
  );
  writeFileSync(join(dir, 'src', 'handler.ts'), HANDLER);
  return dir;
}

function runIn(dir: string, cmd: string, args: string[]) {
  const result = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  expect(result.status, `${cmd} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

const expected = { types: ['ProbeActivity'], same: true, result: 'handled' };
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

describe.each([
  ['standard (TC39) decorators', false],
  ['experimentalDecorators', true],
])('@TaskHandler with %s', (label, legacy) => {
  const dir = project(legacy ? 'legacy' : 'standard', legacy);

  it('registers when compiled by tsc and run on Node', () => {
    runIn(dir, process.execPath, [tsc, '-p', 'tsconfig.json']);
    expect(lastJson(runIn(dir, process.execPath, ['dist/handler.js']))).toEqual(expected);
  });

  it('registers when Bun runs the TypeScript file', () => {
    expect(lastJson(runIn(dir, bun, ['src/handler.ts']))).toEqual(expected);
  });

  it('registers when Deno runs the TypeScript file', () => {
    expect(lastJson(runIn(dir, deno, ['run', '-A', '--quiet', 'src/handler.ts']))).toEqual(expected);
  });
});
