#!/usr/bin/env node
// The habits the lint step enforces beyond eslint: module boundaries by nx tags, no import cycles, and
// no dead code (knip: unused files, exports and dependencies; the index exports of library packages
// are their public API and are not reported). Runs each, prints one line per check, exits 1 if any fails.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const node = (script) => () =>
  spawnSync(process.execPath, [join(root, 'tools/scripts', script)], { cwd: root, stdio: 'inherit' }).status;
const checks = [
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
