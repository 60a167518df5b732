import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, tarballSources } from '../src/cli.ts';
import type { ScaffoldError } from '../src/index.ts';
import { scaffold } from '../src/index.ts';

const root = mkdtempSync(join(tmpdir(), 'create-tasklane-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

describe('scaffold', () => {
  it('writes a Node project with its handler, tests, Dockerfile, values and scripts', () => {
    const dir = join(root, 'node-runner');
    const files = scaffold({ directory: dir, activityType: 'ExportActivity', workerGroup: 'etl' });
    expect(files).toEqual([
      '.gitignore',
      'Dockerfile',
      'README.md',
      'deploy/values.yaml',
      'package.json',
      'pipeline.json',
      'src/handler.ts',
      'test/e2e.test.ts',
      'test/handler.test.ts',
      'tsconfig.json',
    ]);
    const pkg = JSON.parse(read(dir, 'package.json'));
    expect(pkg.name).toBe('node-runner');
    expect(pkg.dependencies).toEqual({ '@tasklane/core': '^0.1.0', '@tasklane/runner-node': '^0.1.0' });
    expect(Object.keys(pkg.devDependencies)).toEqual(
      expect.arrayContaining(['@tasklane/testing', '@tasklane/emulator', 'typescript']),
    );
    expect(pkg.scripts.dev).toContain('--worker-group etl --plugin ./dist/src/handler.js');
    expect(read(dir, 'src/handler.ts')).toContain("@TaskHandler('ExportActivity')");
    expect(JSON.parse(read(dir, 'pipeline.json')).objects[0].workerGroup).toBe('etl');
    // Standard decorators: no decorator flags in the generated tsconfig.
    const tsconfig = JSON.parse(read(dir, 'tsconfig.json').replace(/^\s*\/\/.*$/gm, ''));
    expect(tsconfig.compilerOptions.experimentalDecorators).toBeUndefined();
    expect(read(dir, 'Dockerfile')).toContain('RUN npm install && npm run build');
    for (const file of files) expect(read(dir, file)).not.toMatch(/__[A-Z_]+__/);
  });

  it('runs the TypeScript handler directly on Bun and Deno', () => {
    const bun = join(root, 'bun-runner');
    scaffold({ directory: bun, runtime: 'bun' });
    const bunPkg = JSON.parse(read(bun, 'package.json'));
    expect(bunPkg.scripts.test).toBe('bun test');
    expect(bunPkg.scripts.start).toContain('--plugin ./src/handler.ts');
    expect(bunPkg.dependencies['@tasklane/runner-bun']).toBe('^0.1.0');

    const deno = join(root, 'deno-runner');
    const files = scaffold({ directory: deno, runtime: 'deno' });
    expect(files).toContain('deno.json');
    const denoPkg = JSON.parse(read(deno, 'package.json'));
    expect(denoPkg.scripts.dev).toMatch(
      /^AWS_ACCESS_KEY_ID=local .* deno run -A npm:@tasklane\/runner-deno run /,
    );
    expect(read(deno, 'README.md')).toContain('deno task build');
  });

  it('points every @tasklane package, transitive ones too, at the given sources', () => {
    const tarballs = mkdtempSync(join(root, 'tgz-'));
    for (const f of ['tasklane-core-0.1.0.tgz', 'tasklane-cli-0.1.0.tgz', 'README.md']) {
      writeFileSync(join(tarballs, f), '');
    }
    const sources = tarballSources(tarballs);
    expect(sources).toEqual({
      '@tasklane/core': `file:${join(tarballs, 'tasklane-core-0.1.0.tgz')}`,
      '@tasklane/cli': `file:${join(tarballs, 'tasklane-cli-0.1.0.tgz')}`,
    });
    const dir = join(root, 'from-tarballs');
    scaffold({ directory: dir, sources });
    const pkg = JSON.parse(read(dir, 'package.json'));
    expect(pkg.dependencies['@tasklane/core']).toBe(sources['@tasklane/core']);
    expect(pkg.overrides).toEqual(sources);

    const pnpmDir = join(root, 'from-tarballs-pnpm');
    scaffold({ directory: pnpmDir, sources, packageManager: 'pnpm' });
    expect(JSON.parse(read(pnpmDir, 'package.json')).pnpm.overrides).toEqual(sources);
  });

  it('for deno install, unpacks the tarballs under vendor/ and lists them as deno.json links', () => {
    const src = join(root, 'pkg-src');
    mkdirSync(join(src, 'package', 'bin'), { recursive: true });
    writeFileSync(join(src, 'package', 'package.json'), '{"name":"@tasklane/core","version":"0.1.0"}');
    writeFileSync(join(src, 'package', 'bin', 'run.mjs'), '#!/usr/bin/env node\n', { mode: 0o755 });
    const packs = mkdtempSync(join(root, 'deno-tgz-'));
    const tgz = join(packs, 'tasklane-core-0.1.0.tgz');
    expect(spawnSync('tar', ['-czf', tgz, '-C', src, 'package']).status).toBe(0);

    const dir = join(root, 'deno-links');
    scaffold({ directory: dir, runtime: 'deno', sources: tarballSources(packs) });
    expect(JSON.parse(read(dir, 'deno.json'))).toEqual({
      nodeModulesDir: 'manual',
      links: ['./vendor/tasklane__core'],
    });
    expect(read(dir, 'vendor/tasklane__core/package.json')).toContain('"@tasklane/core"');
    expect(statSync(join(dir, 'vendor/tasklane__core/bin/run.mjs')).mode & 0o111).not.toBe(0);
    // The versions stay registry ranges: the links stand in for them.
    const pkg = JSON.parse(read(dir, 'package.json'));
    expect(pkg.dependencies['@tasklane/core']).toBe('^0.1.0');
    expect(pkg.overrides).toBeUndefined();
  });

  it('refuses a non-empty directory and bad options, naming the option', () => {
    const dir = join(root, 'taken');
    scaffold({ directory: dir });
    expect(() => scaffold({ directory: dir })).toThrow(/exists and is not empty/);
    const bad = (options: object) => {
      try {
        scaffold({ directory: join(root, 'never'), ...options });
      } catch (error) {
        return (error as ScaffoldError).option;
      }
      return undefined;
    };
    expect(bad({ runtime: 'java' })).toBe('--runtime');
    expect(bad({ packageManager: 'yarn' })).toBe('--package-manager');
    expect(bad({ activityType: 'Export' })).toBe('--activity-type');
    expect(bad({ name: 'Has Spaces' })).toBe('--name');
  });
});

describe('create-tasklane command', () => {
  it('exits 2 with the option named on a usage error, 0 after scaffolding', async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string) => stderr.push(String(chunk)) > 0;
    const stdout = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    try {
      expect(await main([])).toBe(2);
      expect(await main([join(root, 'x'), '--runtime', 'java'])).toBe(2);
      expect(await main([join(root, 'x'), '--bogus'])).toBe(2);
      expect(await main([join(root, 'cli-made'), '--runtime', 'bun'])).toBe(0);
    } finally {
      process.stderr.write = write;
      process.stdout.write = stdout;
    }
    expect(stderr.join('')).toContain('--runtime must be one of node, bun, deno');
    expect(JSON.parse(read(join(root, 'cli-made'), 'package.json')).scripts.test).toBe('bun test');
  });
});
