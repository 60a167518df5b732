#!/usr/bin/env node
// The README's two commands land here: `npm test` and `npm run demo` (pnpm works too). On a fresh
// machine with only Node 20 it installs pnpm and the workspace, builds what is needed, then runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNPM_VERSION = '12.4.2';
const [command = 'test', ...rest] = process.argv.slice(2);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    ...options,
  });
  return result.status ?? 1;
}

// CI keeps only the tail of a run's output, so the lines that name a failure are kept as they stream past
// and repeated under the summary; otherwise a flaky test is known only as "FAIL tests (Deno)". The lines
// that name a failed test or check come first: a passing test's expected errors must not crowd them out.
const NAMES_FAILURE = /\bFAIL\b|^[×✗]\s|\|\s*\d+ failed\)/;
const DESCRIBES_FAILURE = /AssertionError|\bError: |Unhandled|timed out/i;
const MAX_NAMING = 30;
const MAX_DESCRIBING = 15;

function runCollecting(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: root,
      stdio: ['inherit', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    const naming = [];
    const describing = [];
    const keep = (list, max, line) => {
      if (list.length < max && !list.includes(line)) list.push(line);
    };
    const follow = (stream, out) => {
      let carry = '';
      // Decoded by the stream, so a character split between two chunks (× is two bytes) stays whole.
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        out.write(chunk);
        const parts = (carry + chunk).split('\n');
        carry = parts.pop() ?? '';
        for (const part of parts) {
          // nx prefixes each line with its project ("@tasklane/core: "); the colour codes go too.
          // eslint-disable-next-line no-control-regex
          const plain = part.replace(/\x1b\[[0-9;]*m/g, '').trim();
          const bare = plain.replace(/^@[\w/-]+:\s*/, '');
          // A passing test's name may say "unhandled" or "error" too.
          if (bare.startsWith('✓')) continue;
          if (NAMES_FAILURE.test(bare)) keep(naming, MAX_NAMING, plain);
          else if (DESCRIBES_FAILURE.test(bare)) keep(describing, MAX_DESCRIBING, plain);
        }
      });
    };
    follow(child.stdout, process.stdout);
    follow(child.stderr, process.stderr);
    let done = false;
    const finish = (code) => {
      if (done) return;
      done = true;
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code: code ?? 1, lines: [...naming, ...describing] });
    };
    child.on('error', (error) => {
      describing.push(String(error));
      finish(1);
    });
    // 'close' waits for every holder of the pipes: a process a test leaked must not hold the run, so the
    // exit counts, with a moment for the last output to drain.
    child.on('exit', (code) => setTimeout(() => finish(code), 2000));
    child.on('close', (code) => finish(code));
  });
}

function has(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function pnpm() {
  if (has('pnpm')) return ['pnpm'];
  console.log(`pnpm not found: installing pnpm@${PNPM_VERSION} globally with npm`);
  if (run('npm', ['install', '-g', `pnpm@${PNPM_VERSION}`]) === 0 && has('pnpm')) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}

function ensureInstalled(p) {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  const args = [...p.slice(1), 'install', ...(process.env.CI ? ['--frozen-lockfile'] : [])];
  if (run(p[0], args) !== 0) {
    console.error('pnpm install failed');
    process.exit(1);
  }
}

// What `npm test` needs from the system, checked before anything else so a fresh machine either gets it
// installed (root with apt, as in CI) or stops at once with the one command to run.
function ensureSystemPackages() {
  const missing = [];
  if (!process.env.TASKLANE_TEST_REDIS_URL && !has('redis-server')) missing.push('redis-server');
  if (!existsSync(process.env.TASKLANE_CHROMIUM ?? '/usr/bin/chromium')) missing.push('chromium');
  if (missing.length === 0) return;
  const list = missing.join(' ');
  if (process.getuid?.() === 0 && has('apt-get')) {
    console.log(`npm test needs ${list}: installing with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (
      run('apt-get', ['update', '-qq'], { env }) === 0 &&
      run('apt-get', ['install', '-y', '-qq', ...missing], { env }) === 0
    )
      return;
    console.error(`apt-get could not install ${list}`);
    process.exit(1);
  }
  console.error(
    `npm test needs ${list} (the integration tests start a private redis-server; the fleet-page test drives chromium).\n` +
      `Install, then run npm test again:\n\n  sudo apt-get update && sudo apt-get install -y ${list}\n\n` +
      'Or point TASKLANE_TEST_REDIS_URL at a Redis you own and TASKLANE_CHROMIUM at a Chromium binary.',
  );
  process.exit(2);
}

if (command === 'test') ensureSystemPackages();
const p = pnpm();
ensureInstalled(p);
const nx = (...args) => run(p[0], [...p.slice(1), 'exec', 'nx', ...args]);
const nxCollecting = (...args) => runCollecting(p[0], [...p.slice(1), 'exec', 'nx', ...args]);

if (command === 'test') {
  const steps = [
    ['format', () => run(p[0], [...p.slice(1), 'exec', 'prettier', '--check', '.', '--log-level', 'warn'])],
    ['build', () => nx('run-many', '-t', 'build', '--outputStyle=static')],
    [
      'lint + typecheck',
      // eslint and tsc per project, then boundaries, cycles and dead code across the workspace
      () =>
        Math.max(
          nx('run-many', '-t', 'lint', 'typecheck', '--outputStyle=static'),
          run(process.execPath, [join(root, 'tools/scripts/check-habits.mjs')]),
        ),
    ],
    ['tests (Node)', () => nxCollecting('run-many', '-t', 'test', '--outputStyle=stream', '--parallel=2')],
    ['tests (Bun)', () => nxCollecting('run-many', '-t', 'test:bun', '--outputStyle=stream', '--parallel=1')],
    [
      'tests (Deno)',
      () => nxCollecting('run-many', '-t', 'test:deno', '--outputStyle=stream', '--parallel=1'),
    ],
    [
      'chaos (short)',
      () => runCollecting(process.execPath, [join(root, 'tools/chaos/dist/main.js'), '--short']),
    ],
    // Every public package packed and used from a fresh project on Node, Bun and Deno (README: "Start your own runner").
    [
      'consumer (tarballs)',
      () => runCollecting(process.execPath, [join(root, 'tools/consumer-test/src/main.mjs')]),
    ],
  ];
  const results = [];
  for (const [name, step] of steps) {
    const started = Date.now();
    console.log(`\n=== ${name} ===`);
    const outcome = await step();
    const { code, lines } = typeof outcome === 'number' ? { code: outcome, lines: [] } : outcome;
    results.push({ name, ok: code === 0, lines, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  }
  for (const r of results.filter((r) => !r.ok && r.lines.length > 0)) {
    console.log(`\n=== what ${r.name} printed about its failures ===`);
    for (const line of r.lines) console.log(`  ${line}`);
  }
  console.log('\n=== summary ===');
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(20)} ${r.seconds}s`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

if (command === 'demo' || command === 'bench' || command === 'chaos') {
  if (nx('run-many', '-t', 'build', '--outputStyle=static') !== 0) process.exit(1);
  const entry = {
    demo: [join(root, 'apps/runner-node/bin/tasklane'), ['demo', ...rest]],
    bench: [process.execPath, [join(root, 'tools/bench/dist/main.js'), ...rest]],
    chaos: [process.execPath, [join(root, 'tools/chaos/dist/main.js'), ...rest]],
  }[command];
  process.exit(run(entry[0], entry[1]));
}

if (command === 'release' || command === 'version' || command === 'changeset') {
  const { releaseCommand } = await import('./release.mjs');
  process.exit(releaseCommand(command, rest, nx));
}

console.error(`unknown command ${command}; use test, demo, bench, chaos, changeset, version or release`);
process.exit(2);
