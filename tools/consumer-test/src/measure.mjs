// What each runner installs on its own (`npm install @tasklane/runner-X`), measured from the tarballs:
// the package count and the size of node_modules, for the README.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './proc.mjs';

function sizeOf(path) {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += sizeOf(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

/** Installs each runner alone into a fresh project; returns one line per runner. */
export async function measureRunners({ work, packed, env }) {
  const sources = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  const lines = [];
  for (const runtime of ['node', 'bun', 'deno']) {
    const name = `@tasklane/runner-${runtime}`;
    const dir = join(work, `measure-${runtime}`);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: `measure-${runtime}`,
        private: true,
        dependencies: { [name]: sources[name] },
        overrides: sources,
      }),
    );
    const result = await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, env });
    if (result.code !== 0) throw new Error(`measuring ${name}: npm install failed\n${result.stderr}`);
    const list = await exec('npm', ['ls', '--all', '--parseable', '--omit=dev'], { cwd: dir, env });
    const count = new Set(list.stdout.split('\n').filter((l) => l.includes('node_modules'))).size;
    const mb = (sizeOf(join(dir, 'node_modules')) / 1e6).toFixed(1);
    lines.push(`measure  ${name}: ${count} packages, ${mb} MB in node_modules`);
  }
  return lines;
}
