#!/usr/bin/env node
// Installs a public package into a directory exactly as the registry would deliver it: packs it and the
// workspace packages it depends on (pnpm pack applies publishConfig and rewrites workspace: ranges) and
// npm-installs the tarballs there. The runner images use it, so an image holds what users install
// (pnpm deploy keeps the workspace exports, whose bun/deno conditions point at TypeScript sources that
// Deno refuses to run from node_modules).
//   node tools/scripts/install-packed.mjs @tasklane/runner-deno /out
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publicPackages } from '../consumer-test/src/pack.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [name, out] = process.argv.slice(2);
if (!name || !out) {
  console.error('usage: install-packed.mjs <package-name> <directory>');
  process.exit(2);
}
const byName = new Map(publicPackages(root).map((p) => [p.name, p]));
if (!byName.has(name)) {
  console.error(`install-packed: ${name} is not a public workspace package`);
  process.exit(2);
}
// The package and every workspace package it depends on, transitively (dependencies only: what npm installs).
const closure = new Set();
const visit = (n) => {
  if (closure.has(n) || !byName.has(n)) return;
  closure.add(n);
  for (const dep of Object.keys(byName.get(n).manifest.dependencies ?? {})) visit(dep);
};
visit(name);

const packs = mkdtempSync(join(tmpdir(), 'tasklane-packed-'));
const sources = {};
try {
  for (const n of closure) {
    const result = spawnSync('pnpm', ['pack', '--pack-destination', packs, '--json'], {
      cwd: byName.get(n).dir,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`pnpm pack ${n} failed\n${result.stderr}`);
    sources[n] = `file:${JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))).filename}`;
  }
  const target = resolve(out);
  mkdirSync(target, { recursive: true });
  writeFileSync(
    join(target, 'package.json'),
    JSON.stringify(
      { name: 'tasklane-image', private: true, dependencies: { [name]: sources[name] }, overrides: sources },
      null,
      2,
    ),
  );
  const install = spawnSync(
    'npm',
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock'],
    {
      cwd: target,
      stdio: 'inherit',
    },
  );
  if (install.status !== 0) throw new Error('npm install failed');
  console.log(`installed ${name} (${closure.size} workspace packages from tarballs) in ${target}`);
} catch (error) {
  console.error(`install-packed: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(packs, { recursive: true, force: true });
}
