#!/usr/bin/env node
// The habits the lint step enforces beyond eslint: JavaScript files within the size limit, module
// boundaries by nx tags, no import cycles, and no dead code (knip: unused files, exports and
// dependencies; the index exports of library packages are their public API and are not reported).
// Runs each, prints one line per check, exits 1 if any fails.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MAX_LINES = 300;

// eslint holds TypeScript source to max-lines; it does not lint the JavaScript entry points and scripts
// (bin/, src/*.mjs, tools/scripts), so their size is counted here with the same limit.
function jsFileSizes() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(mjs|cjs|js)$/.test(entry) && !/\.test\./.test(entry)) files.push(path);
    }
  };
  for (const group of ['packages', 'apps', 'tools'])
    for (const name of readdirSync(join(root, group)))
      for (const dir of ['src', 'bin', ...(group === 'tools' && name === 'scripts' ? ['.'] : [])]) {
        const path = join(root, group, name, dir);
        try {
          if (statSync(path).isDirectory()) walk(path);
        } catch {}
      }
  const tooLong = files
    .map((file) => ({ file: relative(root, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES);
  for (const f of tooLong) console.error(`file size: ${f.file} has ${f.lines} lines (max ${MAX_LINES})`);
  console.error(
    `file size: ${files.length} JavaScript source files, ${tooLong.length} over ${MAX_LINES} lines`,
  );
  return tooLong.length === 0 ? 0 : 1;
}
const node = (script) => () =>
  spawnSync(process.execPath, [join(root, 'tools/scripts', script)], { cwd: root, stdio: 'inherit' }).status;
const checks = [
  ['file size (JavaScript)', jsFileSizes],
  ['module boundaries', node('check-boundaries.mjs')],
  ['import cycles', node('check-cycles.mjs')],
  [
    'dead code (knip)',
    () =>
      spawnSync(join(root, 'node_modules/.bin/knip'), ['--no-progress', '--no-config-hints'], {
        cwd: root,
        stdio: 'inherit',
      }).status,
  ],
];
const failed = [];
for (const [name, check] of checks) {
  const status = check();
  console.error(`${status === 0 ? 'PASS' : 'FAIL'}  ${name}`);
  if (status !== 0) failed.push(name);
}
process.exit(failed.length === 0 ? 0 : 1);
