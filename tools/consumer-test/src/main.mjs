#!/usr/bin/env node
// The consumer test: packs every public package, then for Node, Bun and Deno scaffolds a project with
// create-tasklane from its tarball, installs the tarballs into it (outside the repository, so nothing
// resolves from the workspace), builds it, runs its tests, and runs its handler through `tasklane run`
// against `tasklane emulator` until the pipeline finishes.
//   node tools/consumer-test/src/main.mjs [--runtimes node,bun,deno] [--checks-only] [--keep] [--measure] [--skip NAME,…]
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureRunners } from './measure.mjs';
import { jsrChecks, tarballChecks } from './checks.mjs';
import { packAll } from './pack.mjs';
import { consumerFlow, RUNTIMES } from './project.mjs';
import { killAll } from './proc.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    runtimes: { type: 'string', default: 'node,bun,deno' },
    keep: { type: 'boolean', default: false },
    measure: { type: 'boolean', default: false },
    'checks-only': { type: 'boolean', default: false },
    // For local runs while a package is being written; the test command never passes it.
    skip: { type: 'string', default: '' },
  },
});
const runtimes = values.runtimes.split(',').filter(Boolean);
for (const r of runtimes) {
  if (!RUNTIMES[r]) {
    console.error(`consumer-test: --runtimes: unknown runtime "${r}" (node, bun, deno)`);
    process.exit(2);
  }
}

const work = mkdtempSync(join(tmpdir(), 'tasklane-consumer-'));
const packs = join(work, 'packs');
mkdirSync(packs);

// Bun and Deno as a user gets them from npm: the binaries of the workspace's pinned packages, under their
// plain names. Nothing else of the repository is on PATH, and no npm_/pnpm_ settings leak in.
const bin = join(work, 'bin');
mkdirSync(bin);
const require = createRequire(join(root, 'package.json'));
symlinkSync(join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe'), join(bin, 'bun'));
symlinkSync(join(dirname(require.resolve('deno/package.json')), 'deno'), join(bin, 'deno'));
const repo = realpathSync(root);
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|NODE_OPTIONS$|NODE_PATH$|INIT_CWD$)/i.test(k)),
);
env.PATH = [bin, ...(process.env.PATH ?? '').split(delimiter).filter((p) => p && !p.startsWith(repo))].join(
  delimiter,
);
env.NODE_NO_WARNINGS = '1';
// The pnpm that packs is the workspace's; it runs in the repository, so it keeps the outer PATH.
const packEnv = { ...process.env };

const results = [];
async function step(label, fn) {
  const started = Date.now();
  try {
    const value = await fn();
    results.push({ label, ok: true, ms: Date.now() - started });
    console.log(`PASS  ${label.padEnd(28)} ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return value;
  } catch (error) {
    results.push({ label, ok: false, ms: Date.now() - started });
    console.log(`FAIL  ${label.padEnd(28)} ${((Date.now() - started) / 1000).toFixed(1)}s`);
    console.log(String(error?.message ?? error).replace(/^/gm, '      '));
    throw error;
  }
}

const began = Date.now();
let failed = false;
try {
  const { packages, packed } = await step('pack + check tarballs', async () => {
    const out = await packAll(root, packs, packEnv, values.skip.split(',').filter(Boolean));
    if (out.problems.length) throw new Error(out.problems.join('\n'));
    return out;
  });
  const createTarball = packed.find((p) => p.name === 'create-tasklane')?.tarball;
  if (!createTarball) throw new Error('create-tasklane was not packed');
  if (values.measure) {
    for (const line of await measureRunners({ work, packs, packed, env })) console.log(line);
  }
  // The release checks are mostly CPU and the projects mostly installs, so they run side by side.
  const checks = (async () => {
    await step('publint + attw', async () => {
      const problems = await tarballChecks(packed, packEnv);
      if (problems.length) throw new Error(problems.join('\n'));
    });
    await step('deno publish --dry-run', async () => {
      const problems = await jsrChecks(packages, join(bin, 'deno'), packEnv);
      if (problems.length) throw new Error(problems.join('\n'));
    });
  })().catch(() => {
    failed = true;
  });
  for (const runtime of values['checks-only'] ? [] : runtimes) {
    try {
      await consumerFlow({
        runtime,
        workDir: work,
        packs,
        createTarball,
        env,
        step: (name, fn) => step(`${runtime}: ${name}`, fn),
      });
    } catch {
      failed = true;
    }
  }
  await checks;
} catch {
  failed = true;
} finally {
  killAll();
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
const passed = results.filter((r) => r.ok).length;
console.log(`consumer test took ${((Date.now() - began) / 1000).toFixed(0)}s`);
console.log(`consumer: ${passed} passed, ${results.length - passed} failed`);
process.exit(failed ? 1 : 0);
