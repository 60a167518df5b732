// Releases: `changeset` records a change, `version` applies the pending changesets (one version for the
// fixed group of public packages) and keeps each jsr.json at its package's version, `release` builds,
// runs the consumer test (tarballs, publint, attw, deno publish --dry-run, Node/Bun/Deno projects) and
// publishes to npm (changeset publish, which packs with pnpm) and, with --jsr, to JSR.
// `release --dry-run` does everything but publish.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The release tools are pinned in the consumer test's package, next to publint and attw.
const tools = join(root, 'tools', 'consumer-test', 'node_modules', '.bin');

function run(cmd, args, cwd = root) {
  const result = spawnSync(cmd, args, {
    cwd,
    stdio: 'inherit',
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  return result.status ?? 1;
}

function must(code, what) {
  if (code !== 0) {
    console.error(`release: ${what} failed`);
    process.exit(code);
  }
}

function jsrDirs() {
  return ['packages', 'apps']
    .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
    .filter((dir) => existsSync(join(dir, 'jsr.json')));
}

/** Sets every jsr.json's version to its package.json's; returns the files changed. */
export function syncJsrVersions() {
  const changed = [];
  for (const dir of jsrDirs()) {
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = join(dir, 'jsr.json');
    const jsr = JSON.parse(readFileSync(file, 'utf8'));
    if (jsr.version === version) continue;
    jsr.version = version;
    writeFileSync(file, JSON.stringify(jsr, null, 2) + '\n');
    changed.push(file);
  }
  return changed;
}

/** Runs one release command; `nx` builds the workspace. Returns the exit code. */
export function releaseCommand(command, args, nx) {
  const changeset = join(tools, 'changeset');
  if (command === 'changeset') return run(changeset, ['add', ...args]);
  if (command === 'version') {
    must(run(changeset, ['version']), 'changeset version');
    for (const file of syncJsrVersions()) console.log(`jsr.json version synced: ${file}`);
    return 0;
  }
  const dryRun = args.includes('--dry-run');
  const jsr = args.includes('--jsr');
  must(nx('run-many', '-t', 'build', '--outputStyle=static'), 'build');
  if (syncJsrVersions().length > 0)
    must(1, 'jsr.json versions were behind package.json (now synced; commit them)');
  must(run(process.execPath, [join(root, 'tools/consumer-test/src/main.mjs')]), 'the consumer test');
  if (dryRun) {
    console.log('release --dry-run: checks passed; nothing published');
    return run(changeset, ['status']);
  }
  must(run(changeset, ['publish']), 'changeset publish');
  if (jsr) {
    const deno = join(root, 'node_modules', 'deno', 'deno');
    for (const dir of jsrDirs()) must(run(deno, ['publish'], dir), `deno publish in ${dir}`);
  }
  return 0;
}
