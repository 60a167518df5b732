// The tarball checks catch what a registry user would hit: a workspace: range, a file the manifest names
// but the tarball lacks, a bin without its execute bit, no README.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestProblems, tarballProblems } from '../src/pack.mjs';

const root = mkdtempSync(join(tmpdir(), 'consumer-pack-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tarball(name: string, manifest: object, files: Record<string, { text: string; mode?: number }>) {
  const dir = join(root, name, 'package');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  for (const [path, { text, mode = 0o644 }] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
    chmodSync(join(dir, path), mode);
  }
  const file = join(root, `${name}.tgz`);
  expect(spawnSync('tar', ['-czf', file, '-C', join(root, name), 'package']).status).toBe(0);
  return file;
}

const manifest = {
  name: '@tasklane/probe',
  version: '0.1.0',
  bin: { probe: 'bin/probe.mjs' },
  exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
  dependencies: { '@tasklane/core': '0.1.0' },
};

describe('tarballProblems', () => {
  it('passes a complete tarball', async () => {
    const file = tarball('good', manifest, {
      'README.md': { text: '# probe' },
      'dist/index.js': { text: 'export {};' },
      'dist/index.d.ts': { text: 'export {};' },
      'bin/probe.mjs': { text: '#!/usr/bin/env node', mode: 0o755 },
    });
    expect(await tarballProblems(file)).toEqual([]);
  });

  it('names each problem of a broken one', async () => {
    const file = tarball(
      'bad',
      { ...manifest, dependencies: { '@tasklane/core': 'workspace:*' } },
      { 'dist/index.js': { text: 'export {};' }, 'bin/probe.mjs': { text: '#!/usr/bin/env node' } },
    );
    const problems = await tarballProblems(file);
    expect(problems).toEqual([
      '@tasklane/probe@0.1.0: package.json still has a workspace: range',
      '@tasklane/probe@0.1.0: ./dist/index.d.ts is referenced but not in the tarball',
      expect.stringMatching(/^@tasklane\/probe@0\.1\.0: bin probe \(bin\/probe\.mjs\) is not executable/),
      '@tasklane/probe@0.1.0: no README.md',
    ]);
  });
});

describe('manifestProblems', () => {
  it('wants the published exports to be the exports without the source conditions', () => {
    const exports = {
      '.': { '@tasklane/source': './src/index.ts', bun: './src/index.ts', default: './dist/index.js' },
    };
    const published = { '.': { default: './dist/index.js' } };
    expect(
      manifestProblems({
        name: 'x',
        manifest: { exports, publishConfig: { access: 'public', exports: published } },
      }),
    ).toEqual([]);
    expect(
      manifestProblems({ name: 'x', manifest: { exports, publishConfig: { access: 'public' } } }),
    ).toEqual(['x: publishConfig.exports must equal exports without @tasklane/source, bun, deno']);
    expect(manifestProblems({ name: 'x', manifest: {} })).toEqual([
      'x: publishConfig.access is not "public"',
    ]);
  });
});
