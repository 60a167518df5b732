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
  // The CLI's optional peers: what a runner would carry if they were plain dependencies.
  const peers = {
    '@tasklane/emulator': sources['@tasklane/emulator'],
    '@tasklane/source-bullmq': sources['@tasklane/source-bullmq'],
  };
  const cases = [
    ...['node', 'bun', 'deno'].map((runtime) => [`@tasklane/runner-${runtime}`, {}]),
    ['@tasklane/runner-node with every optional peer', { ...peers, 'pino-pretty': '13.2.0', yaml: '2.9.1' }],
  ];
  const lines = [];
  for (const [label, extra] of cases) {
    const name = label.split(' ')[0];
    const dir = join(work, `measure-${lines.length}`);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: `measure-${lines.length}`,
        private: true,
        dependencies: { [name]: sources[name], ...extra },
        overrides: sources,
      }),
    );
    const result = await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, env });
    if (result.code !== 0) throw new Error(`measuring ${name}: npm install failed\n${result.stderr}`);
    const list = await exec('npm', ['ls', '--all', '--parseable', '--omit=dev'], { cwd: dir, env });
    const count = new Set(list.stdout.split('\n').filter((l) => l.includes('node_modules'))).size;
    const mb = (sizeOf(join(dir, 'node_modules')) / 1e6).toFixed(1);
    lines.push(`measure  ${label}: ${count} packages, ${mb} MB in node_modules`);
  }
  return lines;
}
